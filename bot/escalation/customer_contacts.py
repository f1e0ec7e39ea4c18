"""Customers' own on-call engineers: the FAQ asks customers to send their details for urgent cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.db import Database, write_transaction
from core.errors import HelpdeskError


class ContactError(HelpdeskError):
    """Details that cannot be stored."""


@dataclass(frozen=True)
class CustomerContact:
    company: str
    name: str
    phone: str
    email: str
    conversation_id: str
    saved_at: datetime


def _table(db: Database):
    return db["customer_contacts"]


def save(
    db: Database, company: str, name: str, phone: str, email: str, conversation_id: str, now: datetime
) -> CustomerContact:
    """Store a customer's on-call contact (the latest per company is the one in force)."""
    if not company.strip() or not name.strip():
        raise ContactError("a customer's on-call contact needs a company and a name.")
    if not phone.strip() and not email.strip():
        raise ContactError("give a phone number or an email address for the on-call contact.")
    contact = CustomerContact(company.strip(), name.strip(), phone.strip(), email.strip(), conversation_id, now)
    table = _table(db)
    with write_transaction(table.db):
        table.insert({**contact.__dict__, "saved_at": now.isoformat()})
    return contact


def listing(db: Database) -> list[CustomerContact]:
    """The contact in force for each company (the latest saved), companies in alphabetical order."""
    latest: dict[str, dict] = {}
    for row in _table(db).rows_where(order_by="id"):
        latest[row["company"].casefold()] = row
    return [
        CustomerContact(
            r["company"], r["name"], r["phone"], r["email"], r["conversation_id"], datetime.fromisoformat(r["saved_at"])
        )
        for _, r in sorted(latest.items())
    ]
