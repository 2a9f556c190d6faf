"""The SQL connector: any database SQLAlchemy speaks, described by a declarative mapping.

OPTIONS: ``url`` (SQLAlchemy URL; ``env:NAME`` keeps it in the environment), ``batch_size``,
and either ``mapping`` (inline) or ``mapping_file`` (YAML) with a list of ``tables``::

    tables:
      - name: customers            # a table that holds the subject directly
        category: contact          # the data category it answers for
        key: id
        identity: {email: email, customer_number: customer_no}
        provides: {customer_number: customer_no}   # identifiers passed to later systems
        erasure: anonymise         # delete | anonymise | keep
        anonymise: {email: hash, name: "fixed:Erased", phone: null}
        restriction_column: processing_restricted
        kept_as: customer records  # what its rows are when kept records depend on them
        objection_columns: {direct_marketing: marketing_opt_out}
        rectifiable: [name, phone, street]
        basis: contract            # Art. 6(1) basis; only consent and contract are portable
        inferred: [segment]        # the controller's own classification: left out of an
                                   # Art. 20 answer (every other column: provided/observed)
        statement_column: dsr_statement   # where a supplementary statement (Art. 16) goes
        # For the report only (optional): names a person reads, plain or by language (the
        # technical name is printed small below), and money columns.
        label: {en: Contact, de: Kontakt, nl: Contact}
        labels: {name: Name, phone: {en: Phone, de: Telefon, nl: Telefoon}}
      - name: invoices             # a table reached through its parent
        category: invoices
        money: {amount: {currency_column: currency}}   # or {currency: EUR}; minor_units: true
        parent: customers
        parent_key: customer_id
        erasure: delete
        retention: {date_column: issued_on, years: 8, from: end_of_year,
                    legal_basis: "Art. 17(3)(b) GDPR", statute: "§ 147 AO, § 14b UStG"}
      - name: chat_messages        # content the system itself deletes after a day
        category: chat_content
        parent: chats
        parent_key: chat_id
        expires: {date_column: sent_at, hours: 24}   # (UTC) the system's own rule: said in
                                                     # the answer; older rows still held are
                                                     # exported and counted as a finding

The shape is declared in ``connectors.backends.sql_mapping`` (retention ``from`` is
``end_of_year`` or ``date``); a mistake is refused naming the system and the field's path, e.g.
``billing: options.mapping.tables.customers.erasure: must be one of delete, anonymise, keep``.

A retained row is kept until its own end date (from its own date); the parent rows kept rows
reference are restricted, not anonymised, until the last of them goes, and then erased by
their table's own erasure rule (``erase_kept``).

Reads stream in batches; an erasure runs in one transaction per system and reports exact counts.
E-mail addresses match case-insensitively and exactly (never LIKE).
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    Select,
    String,
    Table,
    create_engine,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError, NoSuchTableError, OperationalError, SQLAlchemyError

from connectors.backends.sql_mapping import Expiry, Retention, SQLOptions, TableMap, parse_mapping
from connectors.base import (
    ALL_CAPABILITIES,
    ChangeResult,
    Connector,
    ConnectorMisconfigured,
    ConnectorRefused,
    ConnectorUnavailable,
    ErasureResult,
    ExportPage,
    Kind,
    Label,
    LocateResult,
    ObjectionKind,
    Retained,
    SubjectIdentity,
)
from connectors.base import Column as Shown
from connectors.config import ConfigurationInvalid, problems

CASE_INSENSITIVE = frozenset({"email"})


class SQLConnector(Connector):
    capabilities = ALL_CAPABILITIES

    def __init__(self, alias: str, options: Mapping[str, Any]) -> None:
        super().__init__(alias, options)
        try:
            declared = SQLOptions.model_validate(dict(options))
        except ValidationError as exc:
            found = problems(exc, options, where=alias, under="options")
            raise ConfigurationInvalid(found) from exc
        raw: Any = declared.mapping
        where, under = alias, "options.mapping"
        if raw is None and declared.mapping_file:
            where, under = f"{alias}: options.mapping_file {declared.mapping_file}", ""
            raw = _read_mapping(where, declared.mapping_file)
        if not raw:
            raise ConnectorMisconfigured(
                f"{alias}: options.mapping: the SQL connector needs a mapping (or mapping_file)"
            )
        self.maps = parse_mapping(raw, where=where, under=under)
        self.by_name = {t.name: t for t in self.maps}
        self.batch_size = declared.batch_size
        self._engine: Engine | None = None
        self._tables: dict[str, Table] = {}

    # --- the report's view of the data ---------------------------------------------------------

    def columns(self, category: str) -> Mapping[str, Shown]:
        found: dict[str, Shown] = {}
        for mapped in self.maps:
            if mapped.category != category:
                continue
            for name in {*mapped.labels, *mapped.money}:
                money = mapped.money.get(name)
                found[name] = Shown(
                    label=mapped.labels.get(name, ""),
                    kind=Kind.MONEY if money else Kind.TEXT,
                    currency=money.currency.upper() if money else "",
                    currency_field=money.currency_column if money else "",
                    minor_units=money.minor_units if money else False,
                )
        return found

    def category_label(self, category: str) -> Label:
        return next((m.label for m in self.maps if m.category == category and m.label), "")

    # --- plumbing -----------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.options["url"], pool_pre_ping=True)
        return self._engine

    def _table(self, conn: Connection, name: str) -> Table:
        if name not in self._tables:
            try:
                self._tables[name] = Table(name, MetaData(), autoload_with=conn)
            except NoSuchTableError as exc:
                raise ConnectorMisconfigured(f"{self.alias}: no table {name}") from exc
        return self._tables[name]

    def _column(self, table: Table, name: str) -> Column[Any]:
        if name not in table.c:
            raise ConnectorMisconfigured(f"{self.alias}: no column {table.name}.{name}")
        return table.c[name]

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _guard(self, error: SQLAlchemyError) -> Exception:
        # Our own message only: a driver's error text may quote personal data from the query.
        if isinstance(error, OperationalError) or (
            isinstance(error, DBAPIError) and error.connection_invalidated
        ):
            return ConnectorUnavailable(
                f"{self.alias}: database unavailable ({type(error.orig).__name__})"
            )
        return ConnectorRefused(f"{self.alias}: database error ({type(error).__name__})")

    # --- who is the subject in each table -------------------------------------------------------

    def _direct(
        self, conn: Connection, mapped: TableMap, subject: SubjectIdentity
    ) -> list[ColumnElement[bool]]:
        table = self._table(conn, mapped.name)
        conditions: list[ColumnElement[bool]] = []
        for identifier, column_name in mapped.identity.items():
            values = subject.values(identifier)
            if not values:
                continue
            column = self._column(table, column_name)
            if identifier in CASE_INSENSITIVE:
                conditions.append(func.lower(column).in_([v.lower() for v in values]))
            else:
                conditions.append(column.in_(values))
        return conditions

    def _condition(
        self, conn: Connection, mapped: TableMap, subject: SubjectIdentity
    ) -> ColumnElement[bool]:
        conditions = self._direct(conn, mapped, subject)
        if mapped.parent and mapped.parent_key:
            parent = self.by_name[mapped.parent]
            parent_table = self._table(conn, parent.name)
            keys = select(self._column(parent_table, parent.key)).where(
                self._condition(conn, parent, subject)
            )
            table = self._table(conn, mapped.name)
            conditions.append(self._column(table, mapped.parent_key).in_(keys))
        return or_(*conditions) if conditions else false()

    def _past_rule(
        self, table: Table, mapped: TableMap, condition: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        """The rows older than the system's own deletion rule: still held, so still answered
        (the rule is information, never a filter), and counted for the answer and the officer."""
        assert mapped.expires is not None
        dated = self._column(table, mapped.expires.date_column)
        return condition & (dated < mapped.expires.cutoff())

    def _depth(self, mapped: TableMap) -> int:
        return 0 if not mapped.parent else 1 + self._depth(self.by_name[mapped.parent])

    # --- capabilities -----------------------------------------------------------------------------

    def check(self) -> str:
        try:
            with self.engine.connect() as conn:
                for mapped in self.maps:
                    table = self._table(conn, mapped.name)
                    for name in [mapped.key, *mapped.identity.values(), *mapped.anonymise]:
                        self._column(table, name)
                    if mapped.parent_key:
                        self._column(table, mapped.parent_key)
                    if mapped.retention:
                        self._column(table, mapped.retention.date_column)
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc
        return f"{self.engine.dialect.name}, {len(self.maps)} tables"

    def locate(self, subject: SubjectIdentity) -> LocateResult:
        found: dict[str, set[str]] = {}
        total = 0
        try:
            with self.engine.connect() as conn:
                for mapped in self.maps:
                    table = self._table(conn, mapped.name)
                    condition = self._condition(conn, mapped, subject)
                    total += conn.execute(
                        select(func.count()).select_from(table).where(condition)
                    ).scalar_one()
                    for identifier, column_name in mapped.provides.items():
                        column = self._column(table, column_name)
                        rows = conn.execute(select(column).where(condition).distinct())
                        found.setdefault(identifier, set()).update(
                            str(v) for (v,) in rows if v is not None
                        )
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc
        return LocateResult(
            found=total > 0,
            records=total,
            identifiers={k: tuple(sorted(v)) for k, v in found.items() if v},
        )

    def export(self, subject: SubjectIdentity) -> Iterator[ExportPage]:
        try:
            with self.engine.connect() as conn:
                for mapped in self.maps:
                    table = self._table(conn, mapped.name)
                    columns = (
                        [self._column(table, n) for n in mapped.columns]
                        if mapped.columns
                        else list(table.c)
                    )
                    condition = self._condition(conn, mapped, subject)
                    if mapped.expires:
                        older = conn.execute(
                            select(func.count())
                            .select_from(table)
                            .where(self._past_rule(table, mapped, condition))
                        ).scalar_one()
                        yield ExportPage(
                            mapped.category,
                            (),
                            expires_after_hours=mapped.expires.hours,
                            past_rule=int(older),
                        )
                    query: Select[Any] = (
                        select(*columns).where(condition).order_by(self._column(table, mapped.key))
                    )
                    result = conn.execution_options(
                        stream_results=True, yield_per=self.batch_size
                    ).execute(query)
                    for rows in result.partitions(self.batch_size):
                        yield ExportPage(
                            mapped.category,
                            tuple({k: _plain(v) for k, v in row._mapping.items()} for row in rows),
                            provided_fields=mapped.provided,
                            inferred_fields=mapped.inferred,
                            legal_basis=mapped.basis,
                        )
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc

    def erase(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult:
        try:
            with self.engine.begin() as conn:
                return self._erase(conn, subject, today=today, consent_only=consent_only)
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc

    def preview_erasure(
        self, subject: SubjectIdentity, *, today: date, consent_only: bool = False
    ) -> ErasureResult | None:
        """The erasure itself, in a transaction that is rolled back: the counts and kept
        groups are the database's own answer, and nothing changes."""
        try:
            with self.engine.connect() as conn:
                outer = conn.begin()
                try:
                    if not self._rolls_back(conn):
                        return None  # a dry run would not be dry here
                    return self._erase(conn, subject, today=today, consent_only=consent_only)
                finally:
                    outer.rollback()
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc

    def _rolls_back(self, conn: Connection) -> bool:
        """Whether a rollback undoes every change to the mapped tables: not in autocommit, and
        on MySQL/MariaDB only if each table's engine is transactional (MyISAM is not)."""
        if conn.get_isolation_level() == "AUTOCOMMIT":
            return False
        dialect = conn.dialect.name
        if dialect in ("postgresql", "sqlite"):
            return True
        if dialect not in ("mysql", "mariadb"):
            return False  # not known to roll back DML: say nothing rather than erase
        names = sorted({mapped.name for mapped in self.maps})
        engines = conn.execute(
            select(literal_column("ENGINE", String))
            .select_from(text("information_schema.TABLES"))
            .where(
                literal_column("TABLE_SCHEMA") == func.database(),
                literal_column("TABLE_NAME").in_(names),
            )
        ).scalars()
        found = [str(engine or "").lower() for engine in engines]
        return len(found) == len(names) and all(e in ("innodb", "xtradb") for e in found)

    def _erase(
        self, conn: Connection, subject: SubjectIdentity, *, today: date, consent_only: bool
    ) -> ErasureResult:
        erased = anonymised = 0
        retained: list[Retained] = []
        # Parent rows kept records depend on, by table and key: why and until when.
        needed: dict[str, dict[str, _Need]] = {}
        key = secrets.token_bytes(32)  # for "hash": thrown away, so nothing can be reversed
        # Children first: their rows reference the parents'.
        for mapped in sorted(self.maps, key=self._depth, reverse=True):
            if mapped.erasure == "keep":
                continue
            if consent_only and mapped.basis != "consent":
                continue  # another legal basis still holds for this data
            table = self._table(conn, mapped.name)
            condition = self._condition(conn, mapped, subject)
            kept_rows: dict[str, _Need] = {}
            if mapped.retention is not None:
                kept_condition = self._under_duty(table, mapped, condition, today)
                kept_rows = self._kept_rows(conn, mapped, kept_condition)
                condition = condition & ~kept_condition
            if needed.get(mapped.name):
                # Restricted, not anonymised: the kept records name them (a customer
                # its kept invoices), until the last of those records goes.
                for row_key, need in self._needed_rows(
                    conn, mapped, condition, needed[mapped.name]
                ).items():
                    kept_rows.setdefault(row_key, need)
            if kept_rows:
                kept_keys = [self._typed_key(table, mapped, k) for k in kept_rows]
                key_column = self._column(table, mapped.key)
                condition = condition & ~key_column.in_(kept_keys)
                if mapped.restriction_column:
                    conn.execute(
                        update(table)
                        .where(key_column.in_(kept_keys))
                        .values({mapped.restriction_column: True})
                    )
                retained += _groups(mapped, kept_rows)
                if mapped.parent and mapped.parent_key:
                    self._note_parents(conn, mapped, kept_rows, needed)
            if mapped.erasure == "delete":
                erased += conn.execute(table.delete().where(condition)).rowcount
            else:
                anonymised += self._anonymise(conn, mapped, table, condition, key)
        return ErasureResult(erased=erased, anonymised=anonymised, retained=tuple(retained))

    def _under_duty(
        self, table: Table, mapped: TableMap, condition: ColumnElement[bool], today: date
    ) -> ColumnElement[bool]:
        assert mapped.retention is not None
        dated = self._column(table, mapped.retention.date_column)
        return condition & (dated >= mapped.retention.first_retained_day(today))

    def _typed_key(self, table: Table, mapped: TableMap, value: str) -> Any:
        return _typed(self._column(table, mapped.key), value)

    def _kept_rows(
        self, conn: Connection, mapped: TableMap, kept_condition: ColumnElement[bool]
    ) -> dict[str, "_Need"]:
        """Each row kept under the table's duty, with its own end date (from its own date)."""
        assert mapped.retention is not None
        rule = mapped.retention
        table = self._table(conn, mapped.name)
        key = self._column(table, mapped.key)
        dated = self._column(table, rule.date_column)
        rows = conn.execute(select(key, dated).where(kept_condition).order_by(key))
        return {
            str(row_key): _Need(
                erase_after=rule.erase_after(_day(day)),
                legal_basis=rule.legal_basis,
                statute=rule.statute,
                what=rule.what or mapped.category,
            )
            for row_key, day in rows
        }

    def _note_parents(
        self,
        conn: Connection,
        mapped: TableMap,
        kept_rows: Mapping[str, "_Need"],
        needed: dict[str, dict[str, "_Need"]],
    ) -> None:
        """The parent rows these kept rows reference, each until its latest child's end."""
        assert mapped.parent
        assert mapped.parent_key
        table = self._table(conn, mapped.name)
        key = self._column(table, mapped.key)
        parent_key = self._column(table, mapped.parent_key)
        keys = [self._typed_key(table, mapped, k) for k in kept_rows]
        into = needed.setdefault(mapped.parent, {})
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for row_key, parent in conn.execute(select(key, parent_key).where(key.in_(chunk))):
                if parent is None:
                    continue
                need = kept_rows[str(row_key)]
                need = _Need(need.erase_after, need.legal_basis, need.statute, need.what, True)
                known = into.get(str(parent))
                if known is None or known.erase_after < need.erase_after:
                    into[str(parent)] = need

    def _needed_rows(
        self,
        conn: Connection,
        mapped: TableMap,
        condition: ColumnElement[bool],
        needs: Mapping[str, "_Need"],
    ) -> dict[str, "_Need"]:
        """Which of the subject's rows kept records depend on."""
        table = self._table(conn, mapped.name)
        key = self._column(table, mapped.key)
        return {
            str(row_key): needs[str(row_key)]
            for (row_key,) in conn.execute(select(key).where(condition))
            if str(row_key) in needs
        }

    def erase_kept(self, location: str, keys: tuple[str, ...], *, today: date) -> int:
        mapped = self.by_name.get(location)
        children = [m for m in self.maps if m.parent == location and m.parent_key]
        if mapped is None or (mapped.retention is None and not children):
            raise ConnectorRefused(f"{self.alias}: {location} keeps nothing under a duty")
        try:
            with self.engine.begin() as conn:
                table = self._table(conn, mapped.name)
                key = self._column(table, mapped.key)
                # Only rows whose own duty has ended (a younger one waits for its own turn) and
                # that no row of another table still names (a kept invoice, or a new one).
                due: ColumnElement[bool] = true()
                if mapped.retention is not None:
                    dated = self._column(table, mapped.retention.date_column)
                    due = dated < mapped.retention.first_retained_day(today)
                for child in children:
                    child_table = self._table(conn, child.name)
                    assert child.parent_key
                    referenced = select(self._column(child_table, child.parent_key)).where(
                        self._column(child_table, child.parent_key).is_not(None)
                    )
                    due = due & ~key.in_(referenced)
                erased = 0
                wipe = secrets.token_bytes(32)
                for start in range(0, len(keys), 500):
                    chunk = [_typed(key, k) for k in keys[start : start + 500]]
                    condition = key.in_(chunk) & due
                    if mapped.retention is None and mapped.erasure == "anonymise":
                        # Its own erasure rule: what it would have had without the kept records.
                        erased += self._anonymise(conn, mapped, table, condition, wipe)
                    else:
                        erased += conn.execute(table.delete().where(condition)).rowcount
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc
        return erased

    def _anonymise(
        self,
        conn: Connection,
        mapped: TableMap,
        table: Table,
        condition: ColumnElement[bool],
        key: bytes,
    ) -> int:
        fixed: dict[str, Any] = {}
        hashed = []
        for column_name, strategy in mapped.anonymise.items():
            self._column(table, column_name)
            if strategy in (None, "null"):
                fixed[column_name] = None
            elif strategy == "hash":
                hashed.append(column_name)
            else:
                fixed[column_name] = str(strategy)[len("fixed:") :]
        if not hashed:
            return (
                conn.execute(update(table).where(condition).values(fixed)).rowcount if fixed else 0
            )
        key_column = self._column(table, mapped.key)
        rows = conn.execute(
            select(key_column, *[table.c[c] for c in hashed]).where(condition)
        ).all()
        for row in rows:
            values = dict(fixed)
            for column_name in hashed:
                original = row._mapping[column_name]
                if original is not None:
                    digest = hmac.new(key, str(original).encode(), hashlib.sha256).hexdigest()
                    values[column_name] = f"erased-{digest[:24]}"
            conn.execute(update(table).where(key_column == row._mapping[mapped.key]).values(values))
        return len(rows)

    def _count(self, conn: Connection, mapped: TableMap, subject: SubjectIdentity) -> int:
        table = self._table(conn, mapped.name)
        return int(
            conn.execute(
                select(func.count())
                .select_from(table)
                .where(self._condition(conn, mapped, subject))
            ).scalar_one()
        )

    def _flagged_by_parent(self, mapped: TableMap) -> bool:
        """A table without a restriction flag of its own is covered by its nearest ancestor's
        flag: its rows are reached only through that parent row (a contact's notes)."""
        parent = self.by_name.get(mapped.parent or "")
        while parent is not None:
            if parent.restriction_column:
                return True
            parent = self.by_name.get(parent.parent or "")
        return False

    def _set_flag(
        self, subject: SubjectIdentity, column_of: Any, value: bool, *, covered: Any = None
    ) -> ChangeResult:
        """Set one flag column on the subject's rows; rows of tables that have no such column
        are reported ``uncovered`` unless ``covered(table)`` (by default: a flagged parent)."""
        covered = covered or self._flagged_by_parent
        changed = already = uncovered = 0
        try:
            with self.engine.begin() as conn:
                for mapped in self.maps:
                    column_name = column_of(mapped)
                    held = self._count(conn, mapped, subject)
                    if not column_name:
                        if not covered(mapped):
                            uncovered += held
                        continue
                    table = self._table(conn, mapped.name)
                    column = self._column(table, column_name)
                    target = true() if value else false()
                    updated = conn.execute(
                        update(table)
                        .where(self._condition(conn, mapped, subject))
                        .where(or_(column.is_(None), column != target))
                        .values({column_name: value})
                    ).rowcount
                    changed += updated
                    already += max(0, held - updated)
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc
        note = "Records in tables without a restriction flag." if uncovered else ""
        return ChangeResult(changed=changed, already=already, uncovered=uncovered, note=note)

    def restrict(self, subject: SubjectIdentity) -> ChangeResult:
        return self._set_flag(subject, lambda m: m.restriction_column, True)

    def lift_restriction(self, subject: SubjectIdentity) -> ChangeResult:
        return self._set_flag(subject, lambda m: m.restriction_column, False)

    def object(self, subject: SubjectIdentity, kind: ObjectionKind) -> ChangeResult:
        if kind == ObjectionKind.PROCESSING:
            return self.restrict(subject)
        if any(m.objection_columns.get(kind.value) for m in self.maps):
            # The opt-out is the person's: set where it lives, their other rows follow it.
            return self._set_flag(
                subject, lambda m: m.objection_columns.get(kind.value), True, covered=bool
            )
        # No marketing function here: every record the person has is uncovered.
        try:
            with self.engine.connect() as conn:
                held = sum(self._count(conn, mapped, subject) for mapped in self.maps)
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc
        note = "This system has no opt-out column for this objection." if held else ""
        return ChangeResult(uncovered=held, note=note)

    def rectify(
        self, subject: SubjectIdentity, changes: Mapping[str, Any], *, statement: str = ""
    ) -> ChangeResult:
        """``changes``: ``{"table.column": value}`` (or ``{"column": value}`` for any table
        that declares the column rectifiable). A field the system holds but does not declare
        rectifiable leaves the person's rows of that table ``uncovered``. The statement goes
        into each table's ``statement_column``, on the person's rows."""
        changed = uncovered = kept = 0
        touched = False
        try:
            with self.engine.begin() as conn:
                for mapped in self.maps:
                    table = self._table(conn, mapped.name)
                    values: dict[str, Any] = {}
                    refused = False
                    for target, value in changes.items():
                        table_name, _, column_name = target.rpartition(".")
                        if table_name and table_name != mapped.name:
                            continue
                        if column_name in mapped.rectifiable:
                            values[column_name] = value
                        elif column_name in table.c:
                            refused = True  # held here, but not correctable by the portal
                    if refused:
                        uncovered += self._count(conn, mapped, subject)
                    condition = self._condition(conn, mapped, subject)
                    if values:
                        touched = True
                        changed += conn.execute(
                            update(table).where(condition).values(values)
                        ).rowcount
                    if statement and mapped.statement_column:
                        self._column(table, mapped.statement_column)
                        kept += conn.execute(
                            update(table)
                            .where(condition)
                            .values({mapped.statement_column: statement})
                        ).rowcount
        except SQLAlchemyError as exc:
            raise self._guard(exc) from exc
        notes = []
        if changes and not touched and not uncovered:
            notes.append("None of these fields is held in this system.")
        if uncovered:
            notes.append("Some of these fields cannot be corrected in this system.")
        if statement and not kept:
            notes.append("This system has no place for a supplementary statement.")
        return ChangeResult(
            changed=changed, uncovered=uncovered, statement_kept=kept > 0, note=" ".join(notes)
        )


@dataclass(frozen=True)
class _Need:
    """Why one row is kept and until when."""

    erase_after: date
    legal_basis: str
    statute: str
    what: str  # the kind of the kept records: the row's own, or those that depend on it
    for_others: bool = False  # kept because kept records depend on it


def _groups(mapped: TableMap, rows: Mapping[str, _Need]) -> list[Retained]:
    """One ``Retained`` per end date (and reason), each with its own keys and count."""
    grouped: dict[_Need, list[str]] = {}
    for row_key, need in rows.items():
        grouped.setdefault(need, []).append(row_key)
    return [
        Retained(
            what=(mapped.kept_as or mapped.category) if need.for_others else need.what,
            legal_basis=need.legal_basis,
            statute=need.statute,
            erase_after=need.erase_after,
            records=len(keys),
            location=mapped.name,
            keys=tuple(keys),
            needed_for=need.what if need.for_others else "",
        )
        for need, keys in sorted(grouped.items(), key=lambda item: item[0].erase_after)
    ]


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value  # type: ignore[no-any-return]


def _read_mapping(where: str, path: str) -> Any:
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConnectorMisconfigured(
            f"{where}: cannot be read ({exc.strerror or type(exc).__name__})"
        ) from exc
    except yaml.YAMLError as exc:
        raise ConnectorMisconfigured(f"{where}: is not valid YAML") from exc


def _typed(column: Column[Any], value: str) -> Any:
    """Keys were stored as text; compare them as the column's own type."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    return python_type(value) if python_type in (int, str) else value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


__all__ = ["Boolean", "Expiry", "Retention", "SQLConnector", "TableMap", "parse_mapping"]
