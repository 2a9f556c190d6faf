"""Salesforce (CRM) over the REST API (v60.0) with OAuth 2.0 client credentials.

OPTIONS: ``base_url`` (the My Domain URL), ``token_url`` (``…/services/oauth2/token``),
``client_id``, ``client_secret`` (``env:``), ``api_version`` (default v60.0), ``delete``
(true: delete records; false: anonymise the ``anonymise`` fields instead), ``anonymise``
(field -> value for each type, used when ``delete`` is false), ``rectifiable`` (fields).
The integration user needs API access, read/edit/delete on Contact, Lead, Case and Task, and
read/edit on Individual (data protection and privacy must be enabled in the org).

Found: Contacts and Leads by e-mail, Cases by ``SuppliedEmail`` or by the Contact, Tasks by
``WhoId``. Restriction and objection are flags on the linked Individual
(``HasOptedOutProcessing``; ``HasOptedOutSolicit`` and ``HasOptedOutTracking``); an erasure
sets ``ShouldForget`` on it, which stays as the record that the person asked to be forgotten.
"""

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from connectors.backends.http import HTTPVendor
from connectors.base import (
    ALL_CAPABILITIES,
    ChangeResult,
    Column,
    Connector,
    ErasureResult,
    ExportPage,
    Kind,
    Label,
    LocateResult,
    ObjectionKind,
    SubjectIdentity,
)

FOUND_KEY = "salesforce_id"

CATEGORIES = {
    "contacts": _("Contacts"),
    "leads": _("Leads"),
    "cases": _("Support cases"),
    "tasks": _("Tasks"),
}
# The fields of Contact, Lead, Case and Task as the report names them. ``attributes`` is the
# API's envelope (the object's type and REST URL), not data about the person.
COLUMNS = {
    "attributes": Column(kind=Kind.METADATA),
    "Id": Column(_("Record ID")),
    "FirstName": Column(_("First name")),
    "LastName": Column(_("Last name")),
    "Name": Column(_("Name")),
    "Email": Column(_("E-mail")),
    "Phone": Column(_("Phone")),
    "MobilePhone": Column(_("Mobile phone")),
    "Title": Column(_("Job title")),
    "Company": Column(_("Company")),
    "MailingAddress": Column(_("Postal address")),
    "AccountId": Column(_("Account ID")),
    "ContactId": Column(_("Contact ID")),
    "IndividualId": Column(_("Privacy record ID")),
    "WhoId": Column(_("About (record ID)")),
    "CaseNumber": Column(_("Case number")),
    "Subject": Column(_("Subject")),
    "Description": Column(_("Description")),
    "Status": Column(_("Status")),
    "Priority": Column(_("Priority")),
    "Origin": Column(_("Channel")),
    "SuppliedEmail": Column(_("E-mail given")),
    "ActivityDate": Column(_("Due on"), Kind.DATE),
    "HasOptedOutOfEmail": Column(_("No marketing e-mail"), Kind.BOOLEAN),
    "CreatedDate": Column(_("Created"), Kind.DATETIME),
    "LastModifiedDate": Column(_("Last changed"), Kind.DATETIME),
}


def soql_literal(value: str) -> str:
    """A quoted SOQL string literal: backslashes and quotes escaped, so input stays data."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace('"', '\\"')
    return f"'{escaped}'"


class SalesforceConnector(Connector):
    capabilities = ALL_CAPABILITIES

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        self.http = HTTPVendor(alias, dict(options))
        self.api = f"/services/data/{options.get('api_version', 'v60.0')}"
        self.delete = bool(options.get("delete", True))

    def close(self) -> None:
        self.http.close()

    # --- reading ----------------------------------------------------------------------------

    def _query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record of a query, following ``nextRecordsUrl``."""
        body = self.http.request("GET", f"{self.api}/query", params={"q": soql}).json()
        while True:
            yield from body.get("records", [])
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                return
            body = self.http.request("GET", body["nextRecordsUrl"]).json()

    def _records(self, subject: SubjectIdentity) -> dict[str, dict[str, dict[str, Any]]]:
        """Type -> Id -> the row from the query (with IndividualId where the type has one)."""
        found: dict[str, dict[str, dict[str, Any]]] = {
            "Contact": {},
            "Lead": {},
            "Case": {},
            "Task": {},
        }
        for email in subject.values("email"):
            literal = soql_literal(email)
            for kind in ("Contact", "Lead"):
                for row in self._query(
                    f"SELECT Id, IndividualId FROM {kind} WHERE Email = {literal}"
                ):
                    found[kind][row["Id"]] = row
            for row in self._query(f"SELECT Id FROM Case WHERE SuppliedEmail = {literal}"):
                found["Case"][row["Id"]] = row
        for contact_id in list(found["Contact"]):
            for row in self._query(
                f"SELECT Id FROM Case WHERE ContactId = {soql_literal(contact_id)}"
            ):
                found["Case"][row["Id"]] = row
        for who in [*found["Contact"], *found["Lead"]]:
            for row in self._query(f"SELECT Id FROM Task WHERE WhoId = {soql_literal(who)}"):
                found["Task"][row["Id"]] = row
        return found

    def _record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        response = self.http.request("GET", f"{self.api}/sobjects/{kind}/{record_id}", allow=(404,))
        return None if response.status_code == 404 else dict(response.json())

    def _individuals(self, found: dict[str, dict[str, dict[str, Any]]]) -> set[str]:
        return {
            row["IndividualId"]
            for kind in ("Contact", "Lead")
            for row in found[kind].values()
            if row.get("IndividualId")
        }

    # --- the report's view of the data ---------------------------------------------------------

    def columns(self, category: str) -> Mapping[str, Column]:
        return COLUMNS

    def category_label(self, category: str) -> Label:
        return CATEGORIES.get(category, "")

    # --- capabilities ---------------------------------------------------------------------------

    def check(self) -> str:
        list(self._query("SELECT Id FROM Contact WHERE Email = 'dsr-check@invalid'"))
        return "Salesforce API reachable"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        found = self._records(subject)
        ids = tuple(i for kind in ("Contact", "Lead") for i in found[kind])
        total = sum(len(rows) for rows in found.values())
        return LocateResult(
            found=bool(total), records=total, identifiers={FOUND_KEY: ids} if ids else {}
        )

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        found = self._records(subject)
        categories = {"Contact": "contacts", "Lead": "leads", "Case": "cases", "Task": "tasks"}
        for kind, rows in found.items():
            records = [r for r in (self._record(kind, i) for i in rows) if r is not None]
            for start in range(0, len(records), 100):
                yield ExportPage(
                    categories[kind],
                    tuple(records[start : start + 100]),
                    provided_fields=("FirstName", "LastName", "Email", "Phone", "MailingAddress"),
                )

    def rectify(
        self, subject: SubjectIdentity, changes: Mapping[str, Any], *, statement: str = ""
    ) -> ChangeResult:
        """Fields by PATCH; the supplementary statement as a Note on each Contact and Lead."""
        allowed = set(self.options.get("rectifiable", ("FirstName", "LastName", "Phone")))
        changed = uncovered = kept = 0
        found = self._records(subject)
        for kind in ("Contact", "Lead"):
            values = {}
            refused = False
            for target, value in changes.items():
                table, _, field = target.rpartition(".")
                if table and table != kind:
                    continue
                if field in allowed:
                    values[field] = value
                else:
                    refused = True
            if refused:
                uncovered += len(found[kind])
            for record_id in found[kind] if values else ():
                self.http.request("PATCH", f"{self.api}/sobjects/{kind}/{record_id}", json=values)
                changed += 1
            for record_id in found[kind] if statement else ():
                note = {"ParentId": record_id, "Title": "Supplementary statement (Art. 16 GDPR)"}
                self.http.request(
                    "POST", f"{self.api}/sobjects/Note", json={**note, "Body": statement}
                )
                kept += 1
        notes = []
        if changes and not changed and not uncovered:
            notes.append("None of these fields is held in this system.")
        if uncovered:
            notes.append("Some of these fields are not configured as rectifiable.")
        return ChangeResult(
            changed=changed, uncovered=uncovered, statement_kept=kept > 0, note=" ".join(notes)
        )

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        found = self._records(subject)
        individuals = self._individuals(found)
        erased = anonymised = 0
        if consent_only:
            for individual in individuals:  # what rests on consent: the marketing flags
                self._flags(individual, {"HasOptedOutSolicit": True, "HasOptedOutTracking": True})
            return ErasureResult()
        anonymise = dict(self.options.get("anonymise", {}))
        # Activities and cases first, then the people; deleting a Contact cascades anyway.
        for kind in ("Task", "Case", "Contact", "Lead"):
            for record_id in found[kind]:
                path = f"{self.api}/sobjects/{kind}/{record_id}"
                if self.delete or kind not in anonymise:
                    response = self.http.request("DELETE", path, allow=(404,))
                    erased += response.status_code == 204
                else:
                    self.http.request("PATCH", path, json=anonymise[kind])
                    anonymised += 1
        for individual in individuals:
            self._flags(individual, {"ShouldForget": True, "HasOptedOutProcessing": True})
        return ErasureResult(erased=erased, anonymised=anonymised)

    def _flags(self, individual: str, values: dict[str, bool]) -> None:
        self.http.request(
            "PATCH", f"{self.api}/sobjects/Individual/{individual}", json=values, allow=(404,)
        )

    def _set(self, subject: SubjectIdentity, values: dict[str, bool]) -> ChangeResult:
        """The flags live on the Individual: a Contact or Lead not linked to one cannot carry
        them (``uncovered``), and neither can Cases filed only under the person's address."""
        found = self._records(subject)
        individuals = self._individuals(found)
        for individual in individuals:
            self._flags(individual, values)
        unlinked = sum(
            1
            for kind in ("Contact", "Lead")
            for row in found[kind].values()
            if not row.get("IndividualId")
        )
        if not individuals:
            unlinked += len(found["Case"]) + len(found["Task"])
        note = "Records not linked to an Individual." if unlinked else ""
        return ChangeResult(changed=len(individuals), uncovered=unlinked, note=note)

    def restrict(self, subject: SubjectIdentity) -> ChangeResult:
        return self._set(subject, {"HasOptedOutProcessing": True})

    def lift_restriction(self, subject: SubjectIdentity) -> ChangeResult:
        return self._set(subject, {"HasOptedOutProcessing": False})

    def object(self, subject: SubjectIdentity, kind: ObjectionKind) -> ChangeResult:
        if kind == ObjectionKind.PROCESSING:
            return self.restrict(subject)
        return self._set(subject, {"HasOptedOutSolicit": True, "HasOptedOutTracking": True})
