"""Parsing FAQ documents into entries and schedules, for the shipped documents and for new ones."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import SHIPPED_FAQ, TEST_DOCS

from faq_index.index import DocumentError, add_document, build_index
from faq_index.parse import parse_file

AWS = "000_5b56ee65ad449da6.txt"
DIFF = "001_2c64f31f9f16ac86.txt"
RTR = "002_5a40e2295bdeca5d.txt"

AWS_QUESTIONS = [
    "Why are we migrating to AWS?",
    "What can I expect during the Week beginning 7 September 2020?",
    "What will happen to messages?",
    "Will I need to change anything?",
    "How else can I prepare?",
    "What is the rollback plan?",
    "How can I avoid any downtime?",
    "Will I receive a reminder?",
]
RTR_QUESTIONS = [
    "What dates/times will Modica migrate our service?",
    "Can we expect some downtime?",
    "What will happen to messages during this downtime period?",
    "Do I need to do anything?",
    "Can I still log into the dashboard?",
    "Will I need training to use the dashboard?",
    "Can I opt out of this?",
    "How can I find out which shortcodes are migrating?",
    "Why move to a different platform?",
    "How can I find out more about the Omni products?",
    "What's involved in the migration?",
    "What are the risks?",
    "How do I get in touch?",
    "How will I know the work has been completed?",
    "How can I start preparing for Phase 2 of the migration?",
]
SUPERSEDED = [
    "17 August",
    "18 August",
    "19 August",
    "20 August",
    "21 August",
    "22:00 pm",
    "02:00am",
    "2221",
    "0201",
    "17th",
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def index_rows(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(sql).fetchall()


def test_every_question_of_the_aws_faq_is_an_entry():
    doc = parse_file(SHIPPED_FAQ / AWS)
    questions = [e.question for e in doc.entries]
    assert [q for q in AWS_QUESTIONS if q not in questions] == []
    assert doc.title == "Prepare AWS Migration - More information"
    assert len(doc.entries) == 9  # the eight questions and the "Previous Communications" passage


def test_every_question_of_the_run_the_red_faq_is_an_entry_and_so_is_its_introduction():
    doc = parse_file(SHIPPED_FAQ / RTR)
    questions = [e.question for e in doc.entries]
    assert [q for q in RTR_QUESTIONS if q not in questions] == []
    assert len(doc.entries) == 16
    intro = doc.entries[0]
    assert intro.kind == "intro"
    assert "Phase 1: Re-routing traffic" in intro.answer and "1-August-2019" in intro.answer
    assert "Page tree" not in intro.answer


def test_the_four_aws_windows_are_parsed_as_utc_instants():
    doc = parse_file(SHIPPED_FAQ / AWS)
    windows = [(row.phase, row.name, row.start, row.end) for row in doc.schedule]
    assert windows == [
        (1, "Carrier Connection Migrations", utc(2020, 9, 7, 9), utc(2020, 9, 7, 13)),
        (2, "Messaging Core Migration", utc(2020, 9, 8, 9), utc(2020, 9, 8, 13)),
        (3, "Omni Web Interface Migration", utc(2020, 9, 9, 9), utc(2020, 9, 9, 13)),
        (4, "API End-Point Migration", utc(2020, 9, 10, 9), utc(2020, 9, 10, 13)),
    ]
    assert all(row.start.tzinfo is not None for row in doc.schedule)
    assert "API and Omni will be unavailable" in doc.schedule[1].impact


def test_the_window_table_is_a_chat_list_with_nz_and_utc_times():
    entry = next(e for e in parse_file(SHIPPED_FAQ / AWS).entries if e.schedule)
    assert (
        "- Phase 2: Messaging Core Migration: Tue 8 September 2020 21:00–01:00 NZST (09:00–13:00 UTC)." in entry.answer
    )
    assert "\t" not in entry.answer


def test_the_versions_compared_export_is_set_aside_by_name(shipped_index: Path):
    documents = dict(
        ((f, (s, r)) for f, s, r in index_rows(shipped_index, "select file, status, reason from documents"))
    )
    assert documents[DIFF][0] == "set aside"
    assert AWS in documents[DIFF][1] and "Versions Compared" in documents[DIFF][1]
    assert documents[AWS][0] == documents[RTR][0] == "indexed"


def test_no_superseded_fragment_reaches_the_index(shipped_index: Path):
    texts = [
        " ".join(map(str, row)) for row in index_rows(shipped_index, "select question, answer, keywords from entries")
    ]
    assert len(texts) == 25
    assert [(fragment, text[:60]) for text in texts for fragment in SUPERSEDED if fragment in text] == []


def test_a_diff_export_with_no_clean_twin_is_refused_with_what_to_do(faq_dir: Path, tmp_path: Path):
    shutil.copy(SHIPPED_FAQ / DIFF, faq_dir)
    report = build_index(faq_dir, tmp_path / "index.db")
    assert [(d.status, d.entries) for d in report.documents] == [("refused", 0)]
    assert "export the current page" in report.documents[0].reason


def test_adding_a_diff_export_alone_is_refused_and_leaves_nothing_behind(faq_dir: Path, tmp_path: Path):
    with pytest.raises(DocumentError, match="was not added: .*Versions Compared"):
        add_document(SHIPPED_FAQ / DIFF, faq_dir, tmp_path / "index.db")
    assert list(faq_dir.iterdir()) == []


def test_of_two_near_identical_documents_the_newer_one_wins(faq_dir: Path, tmp_path: Path):
    original = (TEST_DOCS / "shortcode_pricing.txt").read_text()
    (faq_dir / "pricing_2022.txt").write_text(original)
    (faq_dir / "pricing_2023.txt").write_text(original.replace("1 July 2022", "1 July 2023").replace("$450", "$470"))
    report = build_index(faq_dir, tmp_path / "index.db")
    status = {d.file: (d.status, d.reason) for d in report.documents}
    assert status["pricing_2023.txt"][0] == "indexed"
    assert (
        status["pricing_2022.txt"][0] == "set aside"
        and "older version of pricing_2023.txt" in status["pricing_2022.txt"][1]
    )


def test_a_rebuild_reparses_only_the_changed_documents(faq_dir: Path, tmp_path: Path):
    for name in ("shortcode_pricing.txt", "billing_move.md"):
        shutil.copy(TEST_DOCS / name, faq_dir)
    db_path = tmp_path / "index.db"
    assert {d.file: d.reparsed for d in build_index(faq_dir, db_path).documents} == {
        "billing_move.md": True,
        "shortcode_pricing.txt": True,
    }
    assert not any(d.reparsed for d in build_index(faq_dir, db_path).documents)
    (faq_dir / "billing_move.md").write_text(
        (TEST_DOCS / "billing_move.md").read_text() + "\n**Is VAT included?**\n\nNo, GST is shown separately.\n"
    )
    report = build_index(faq_dir, db_path)
    assert {d.file: d.reparsed for d in report.documents} == {"billing_move.md": True, "shortcode_pricing.txt": False}
    assert report.entries == 3 + 5


def test_markdown_headings_bold_questions_and_pipe_tables():
    doc = parse_file(TEST_DOCS / "billing_move.md")
    assert doc.format == "markdown" and doc.title == "Billing System Upgrade FAQ"
    by_question = {e.question: e for e in doc.entries}
    assert by_question["Introduction"].answer.startswith("Modica is moving invoices")
    assert by_question["Do I need to update my payment details?"].section == "Before the upgrade"
    assert by_question["Where do I find my old invoices?"].section == "After the upgrade"
    assert "the portal (https://billing.example.com)" in by_question["Where do I find my old invoices?"].answer
    windows = by_question["When is the billing outage?"].schedule
    # NZDT is UTC+13 in March 2021: 22:00 NZDT is 09:00 UTC; 01:00 NZDT on the 14th is 12:00 UTC on the 13th.
    assert [(w.phase, w.start, w.end) for w in windows] == [
        (1, utc(2021, 3, 6, 9), utc(2021, 3, 6, 13)),
        (2, utc(2021, 3, 13, 9), utc(2021, 3, 13, 12)),
    ]


def test_confluence_html_export():
    doc = parse_file(TEST_DOCS / "sms_gateway.html")
    assert doc.format == "html" and doc.title == "SMS Gateway Certificate Renewal"
    questions = [e.question for e in doc.entries]
    assert questions == [
        "Introduction",
        "Will my HTTPS connection drop during the renewal?",
        "Do I have to pin the new certificate?",
        "What does the renewal window look like?",
    ]
    pinning = doc.entries[2]
    assert "1. Download the new chain.\n2. Replace the pinned fingerprint." in pinning.answer
    all_text = " ".join(e.answer for e in doc.entries)
    assert "alert(" not in all_text and "Powered by" not in all_text and "Support" not in doc.entries[0].answer
    window = doc.entries[3].schedule[0]
    assert (window.start, window.end) == (utc(2021, 10, 12, 7), utc(2021, 10, 12, 7, 30))


def test_plain_text_with_a_title_line():
    doc = parse_file(TEST_DOCS / "shortcode_pricing.txt")
    assert doc.title == "Shortcode Pricing Changes"
    assert [e.question for e in doc.entries] == [
        "Why are shortcode prices changing?",
        "How much will my shortcode cost?",
        "Can I move to a shared shortcode?",
    ]


def test_adding_a_document_copies_it_in_and_indexes_it(faq_dir: Path, tmp_path: Path):
    report = add_document(TEST_DOCS / "sms_gateway.html", faq_dir, tmp_path / "index.db")
    assert (faq_dir / "sms_gateway.html").is_file()
    assert [(d.file, d.status, d.entries) for d in report.documents] == [("sms_gateway.html", "indexed", 4)]


@pytest.mark.parametrize("name, message", [("notes.pdf", "unsupported file type"), ("missing.txt", "is not a file")])
def test_adding_something_that_is_not_a_document_says_what_is_wrong(
    faq_dir: Path, tmp_path: Path, name: str, message: str
):
    source = tmp_path / name
    if name.endswith(".pdf"):
        source.write_bytes(b"%PDF-1.4")
    with pytest.raises(DocumentError, match=message):
        add_document(source, faq_dir, tmp_path / "index.db")
    assert list(faq_dir.iterdir()) == []


def test_a_confluence_export_never_seen_before():
    """Added last, after the parser was written: a page laid out unlike the other fixtures."""
    doc = parse_file(TEST_DOCS / "unseen_voice_platform.html")
    assert doc.title == "Voice Platform Consolidation - FAQ"
    assert [(e.kind, e.question, e.section) for e in doc.entries] == [
        ("intro", "Introduction", None),
        ("question", "Which voice products are affected?", "General"),
        ("question", "Will my caller ID change?", "General"),
        ("question", "When does the cut-over happen?", "Schedule"),
    ]
    products, caller_id, cut_over = doc.entries[1:]
    assert products.answer == "- Text-to-speech calls\n- IVR menus\n   - including custom greetings\n- Voice OTP"
    assert caller_id.answer == "No.\nYour caller ID stays the same on the new platform."
    window = cut_over.schedule[0]
    assert (window.phase, window.label) == (1, "Stage 1: IVR Move")
    assert (window.start, window.end) == (utc(2022, 6, 15, 11), utc(2022, 6, 15, 13, 30))  # NZST is UTC+12 in June
    assert cut_over.answer.startswith("- Stage 1: IVR Move: Wed 15 June 2022 23:00–01:30 NZST (11:00–13:30 UTC).")
    everything = " ".join(e.answer for e in doc.entries)
    assert "Customer Support" not in everything and "Document generated" not in everything


def test_an_empty_document_is_not_added(faq_dir: Path, tmp_path: Path):
    empty = tmp_path / "empty.md"
    empty.write_text("\n\n")
    with pytest.raises(DocumentError, match="no questions or text"):
        add_document(empty, faq_dir, tmp_path / "index.db")
    assert list(faq_dir.iterdir()) == []


def test_an_index_from_an_older_schema_is_rebuilt(faq_dir: Path, tmp_path: Path):
    db_path = tmp_path / "index.db"
    with sqlite3.connect(db_path) as db:
        db.execute("create table schedule (file text, phase integer)")  # as an older release left it
    shutil.copy(TEST_DOCS / "billing_move.md", faq_dir)
    assert build_index(faq_dir, db_path).entries == 4
    assert "label" in [row[1] for row in index_rows(db_path, "pragma table_info(schedule)")]


def test_a_rebuild_with_nothing_changed_encodes_nothing(faq_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copy(TEST_DOCS / "shortcode_pricing.txt", faq_dir)
    db_path = tmp_path / "index.db"
    build_index(faq_dir, db_path)
    vectors = index_rows(db_path, "select entry_id, vector from vectors order by rowid")
    assert len({entry for entry, _ in vectors}) == 3

    def no_model():
        raise AssertionError("the sentence model was asked to encode again")

    monkeypatch.setattr("faq_index.index.encoder", no_model)
    build_index(faq_dir, db_path)
    assert index_rows(db_path, "select entry_id, vector from vectors order by rowid") == vectors


def test_product_names_in_an_answer_become_its_keywords():
    from faq_index.keywords import salient_terms

    text = "Traffic moves from RedX to Omni2; Web2SMS, Email2SMS, MOs and DLRs, Campaign Manager. The Omni platform."
    assert salient_terms(text) == ["RedX", "Omni2", "Web2SMS", "Email2SMS", "MOs", "DLRs", "Campaign Manager"]
