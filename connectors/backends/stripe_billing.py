"""Stripe (billing) through the official ``stripe`` client (API v1, StripeClient.v1.*).

OPTIONS: ``api_key`` (``env:STRIPE_API_KEY``; a restricted key with read access to customers,
invoices, charges, subscriptions, payment methods, and write access to customers),
``api_base`` (only to point at a test server), ``country`` (whose tax law keeps invoices;
default: the controller's), ``page_size``.

Erasure deletes the customer, which cancels its subscriptions at once. Invoices and charges
stay at Stripe and with us by law: they are reported as retained, each group with its own
end date (the end of the record's year plus the period), the statute and the ids. A finalised
Stripe invoice holds its own copy of the customer's details, so deleting the customer does
not break the kept invoices; removing them when their time comes is for a person (Stripe
offers no deletion of finalised invoices or charges).
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import stripe
from django.utils.translation import gettext_lazy as _

from connectors.base import (
    Capability,
    ChangeResult,
    Column,
    Connector,
    ConnectorRefused,
    ConnectorUnavailable,
    ErasureResult,
    ExportPage,
    Kind,
    Label,
    LocateResult,
    Retained,
    SubjectIdentity,
)
from connectors.retention import duty

FOUND_KEY = "stripe_customer"

CATEGORIES = {
    "customer": _("Customer account"),
    "invoices": _("Invoices"),
    "charges": _("Payments"),
    "subscriptions": _("Subscriptions"),
    "payment_methods": _("Payment methods"),
}


def _cents(label: Label) -> Column:
    # Stripe keeps amounts in the currency's smallest unit, with the code in ``currency``.
    return Column(label, Kind.MONEY, currency_field="currency", minor_units=True)


def _when(label: Label) -> Column:
    return Column(label, Kind.TIMESTAMP)  # Unix seconds


# Fields of customers, invoices, charges, subscriptions and payment methods as the report names
# them. ``object`` (the type's name) and ``livemode`` (live or test account) are Stripe's
# bookkeeping, not data about the person.
COLUMNS = {
    "object": Column(kind=Kind.METADATA),
    "livemode": Column(kind=Kind.METADATA),
    "id": Column(_("Stripe ID")),
    "customer": Column(_("Customer ID")),
    "email": Column(_("E-mail")),
    "name": Column(_("Name")),
    "phone": Column(_("Phone")),
    "address": Column(_("Address")),
    "shipping": Column(_("Shipping address")),
    "description": Column(_("Description")),
    "metadata": Column(_("Additional information")),
    "number": Column(_("Invoice number")),
    "status": Column(_("Status")),
    "currency": Column(_("Currency")),
    "amount": _cents(_("Amount")),
    "amount_due": _cents(_("Amount due")),
    "amount_paid": _cents(_("Amount paid")),
    "amount_remaining": _cents(_("Amount outstanding")),
    "amount_captured": _cents(_("Amount collected")),
    "amount_refunded": _cents(_("Amount refunded")),
    "subtotal": _cents(_("Subtotal")),
    "total": _cents(_("Total")),
    "balance": _cents(_("Balance")),
    "paid": Column(_("Paid"), Kind.BOOLEAN),
    "refunded": Column(_("Refunded"), Kind.BOOLEAN),
    "delinquent": Column(_("Payment overdue"), Kind.BOOLEAN),
    "created": _when(_("Created")),
    "due_date": _when(_("Due on")),
    "period_start": _when(_("Period from")),
    "period_end": _when(_("Period to")),
    "current_period_start": _when(_("Current period from")),
    "current_period_end": _when(_("Current period to")),
    "canceled_at": _when(_("Cancelled on")),
    "type": Column(_("Type")),
    "card": Column(_("Card")),
}


class StripeConnector(Connector):
    capabilities = frozenset(
        {
            Capability.LOCATE,
            Capability.EXPORT,
            Capability.ERASE,
            Capability.RESTRICT,
            Capability.LIFT_RESTRICTION,
        }
    )

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        base = options.get("api_base") or "https://api.stripe.com"
        self.client = stripe.StripeClient(
            str(options.get("api_key", "")),
            base_addresses={"api": base},
            max_network_retries=0,  # the job retries, with backoff that survives a restart
        )
        self.page_size = int(options.get("page_size", 100))

    # --- plumbing ----------------------------------------------------------------------------

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except stripe.RateLimitError as exc:
            raise ConnectorUnavailable(
                f"{self.alias}: rate limited", retry_after=_retry_after(exc)
            ) from exc
        except (stripe.APIConnectionError, stripe.APIError) as exc:
            raise ConnectorUnavailable(f"{self.alias}: {type(exc).__name__}") from exc
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            raise ConnectorRefused(f"{self.alias}: the API key was refused") from exc
        except stripe.InvalidRequestError as exc:
            raise ConnectorRefused(
                f"{self.alias}: invalid request ({exc.code or 'no code'})"
            ) from exc

    def _pages(
        self, service: Any, params: dict[str, Any], *args: Any
    ) -> Iterator[list[dict[str, Any]]]:
        """A list endpoint, page by page (``starting_after``)."""
        params = {**params, "limit": self.page_size}
        while True:
            page = self._call(service.list, *args, params)
            items = [item.to_dict() for item in page.data]
            if items:
                yield items
            if not page.has_more or not items:
                return
            params["starting_after"] = items[-1]["id"]

    def _customers(self, subject: SubjectIdentity) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        # Stripe's email filter is exact and case-sensitive: ask for what we were given and
        # for its lower-case form.
        for email in {v for e in subject.values("email") for v in (e, e.lower())}:
            for page in self._pages(self.client.v1.customers, {"email": email}):
                found.update({c["id"]: c for c in page})
        for customer_id in subject.found.get(FOUND_KEY, ()):
            if customer_id not in found:
                try:
                    customer = self._call(self.client.v1.customers.retrieve, customer_id)
                except ConnectorRefused:
                    continue  # gone
                if not customer.get("deleted"):
                    found[customer_id] = customer.to_dict()
        return list(found.values())

    def close(self) -> None:
        pass

    # --- the report's view of the data ---------------------------------------------------------

    def columns(self, category: str) -> Mapping[str, Column]:
        return COLUMNS

    def category_label(self, category: str) -> Label:
        return CATEGORIES.get(category, "")

    # --- capabilities -------------------------------------------------------------------------

    def check(self) -> str:
        self._call(self.client.v1.customers.list, {"limit": 1})
        return "Stripe API reachable"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        customers = self._customers(subject)
        return LocateResult(
            found=bool(customers),
            records=len(customers),
            identifiers={FOUND_KEY: tuple(c["id"] for c in customers)} if customers else {},
        )

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        v1 = self.client.v1
        for customer in self._customers(subject):
            cid = customer["id"]
            yield ExportPage(
                "customer",
                (customer,),
                provided_fields=("email", "name", "phone", "address", "shipping"),
            )
            for page in self._pages(v1.invoices, {"customer": cid}):
                yield ExportPage("invoices", tuple(page))
            for page in self._pages(v1.charges, {"customer": cid}):
                yield ExportPage("charges", tuple(page))
            for page in self._pages(v1.subscriptions, {"customer": cid, "status": "all"}):
                yield ExportPage("subscriptions", tuple(page))
            for page in self._pages(v1.customers.payment_methods, {}, cid):
                yield ExportPage("payment_methods", tuple(page))

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        return self._erase(subject, today=today, consent_only=consent_only, delete=True)

    def preview_erasure(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult | None:
        """The same reading of customers, invoices and charges as the erasure, without the
        deletion: which customers would go and which records stay, until when."""
        return self._erase(subject, today=today, consent_only=consent_only, delete=False)

    def _erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool, delete: bool
    ) -> ErasureResult:
        if consent_only:
            return ErasureResult()  # billing rests on the contract, not on consent
        v1 = self.client.v1
        rule = duty("invoices", str(self.options.get("country") or subject.controller_country))
        erased = 0
        # Each invoice and charge until the end of its own year plus the period: by kind and
        # end date, with the ids (Stripe keeps them; they cannot be deleted through the API).
        kept: dict[tuple[str, date], list[str]] = {}
        for customer in self._customers(subject):
            cid = customer["id"]
            for kind, service in (("invoices", v1.invoices), ("charges", v1.charges)):
                for page in self._pages(service, {"customer": cid}):
                    for item in page:
                        until = rule.erase_after(_day(item["created"]))
                        if until >= today:
                            kept.setdefault((kind, until), []).append(str(item["id"]))
            # The kept invoices do not depend on the customer object: a finalised invoice
            # carries its own copy of the customer's name, address and tax ids, and the
            # deleted customer stays retrievable as a tombstone under the same id.
            if delete:
                self._call(v1.customers.delete, cid)
            erased += 1
        retained = tuple(
            Retained(
                what=f"Stripe {kind}",
                legal_basis=rule.legal_basis,
                statute=rule.statute,
                erase_after=until,
                records=len(ids),
                location=kind,
                keys=tuple(ids),
            )
            for (kind, until), ids in sorted(
                kept.items(), key=lambda item: (item[0][1], item[0][0])
            )
        )
        return ErasureResult(erased=erased, retained=retained)

    def _flag(self, subject: SubjectIdentity, value: str) -> ChangeResult:
        """Stripe has no restriction of its own: the customer's metadata carries the mark the
        controller's billing honours. Invoices and charges cannot carry it: they follow the
        customer. Rectification and objection are not offered (no marketing in Stripe)."""
        changed = already = 0
        for customer in self._customers(subject):
            if customer.get("metadata", {}).get("dsr_processing_restricted") == value:
                already += 1
                continue
            self._call(
                self.client.v1.customers.update,
                customer["id"],
                {"metadata": {"dsr_processing_restricted": value}},
            )
            changed += 1
        return ChangeResult(
            changed=changed,
            already=already,
            note="Marked in the customer's metadata: dsr_processing_restricted",
        )

    def restrict(self, subject: SubjectIdentity) -> ChangeResult:
        return self._flag(subject, "true")

    def lift_restriction(self, subject: SubjectIdentity) -> ChangeResult:
        return self._flag(subject, "false")


def _retry_after(exc: stripe.StripeError) -> float | None:
    value = (exc.headers or {}).get("Retry-After") or (exc.headers or {}).get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _day(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, tz=UTC).date()
