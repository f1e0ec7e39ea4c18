"""FAQ documents to a searchable knowledge base: parse, choose current versions, index, search."""
