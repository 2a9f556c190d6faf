"""The statutory clock (GDPR Art. 12(3), Reg. 1182/71): receipt date, due dates and why."""

import calendar as _calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext

ONE_DAY = timedelta(days=1)

# A real calendar never has more than a handful of non-working days in a row; a year of them
# means a broken calendar, and an error beats a loop that never ends.
_MAX_ROLL = 366


class HolidayCalendar(Protocol):
    def holiday_name(self, day: date) -> str | None: ...


# --- Calendars ---------------------------------------------------------------------------------


@cache
def _package_holidays(
    country: str, subdivision: str, language: str | None, category: str = holidays.PUBLIC
) -> Any:
    # Names are asked for in an explicit language (see _PackageCalendar._language): left to
    # itself, the package picks one from the process locale.
    return holidays.country_holidays(
        country,
        subdiv=subdivision or None,
        language=language,
        categories=(category,),
    )


class _PackageCalendar:
    """Public holidays of one country (and Land) from the `holidays` package."""

    def __init__(self, country: str, subdivision: str) -> None:
        self.country = country
        self.subdivision = subdivision
        entity = _package_holidays(country, subdivision, None)
        self._default_language: str | None = entity.default_language
        self._languages: frozenset[str] = frozenset(entity.supported_languages)

    def __repr__(self) -> str:
        return f"calendar_for({self.country!r}, {self.subdivision!r})"

    def _language(self, language: str | None) -> str | None:
        if language is None:
            return self._default_language
        base = language.replace("_", "-").split("-")[0].lower()
        for candidate in (language, base, f"{base}_US"):
            if candidate in self._languages:
                return candidate
        # A name in the country's own language is better than none.
        return self._default_language

    def _public(self, day: date, language: str | None) -> str | None:
        name = _package_holidays(self.country, self.subdivision, self._language(language)).get(day)
        return str(name) if name is not None else None

    def holiday_name(self, day: date, language: str | None = None) -> str | None:
        return self._public(day, language)


# Art. 3(3) Atw: days equated with public holidays by Royal Decree, usually three years at a
# time (bridge days). Only decrees read in the official publication are listed:
# - Besluit van 24 oktober 2016 (Stcrt. 2016, 58653), https://wetten.overheid.nl/BWBR0038666
#   (also cited by https://www.uitvaart.nl/juridisch/overige/uitvaartplechtigheid/is-28-april-2017-geen-werkdag/50535).
# Reported but NOT confirmed against the Staatscourant, so NOT applied (an earlier deadline is
# the safe side); add them once checked on wetten.overheid.nl / officielebekendmakingen.nl:
# - "Besluit gelijkstelling van 28 april 2023, 19 mei 2023, 10 mei 2024, 27 december 2024 en
#   30 mei 2025 met een algemeen erkende feestdag" and "Besluit gelijkstelling van 2 januari
#   2026, 15 mei 2026, 7 mei 2027, 28 april 2028 en 26 mei 2028 ..." (titles quoted at
#   https://sterfgeval.nl/juridisch/overige/vragen-van-uitvaartondernemers/gemeentelijke-feestdag-bij-lijkbezorging-feestdagen-in-2026-2028/70745);
# - 27 May 2022 (https://wvhl.nl/algemeen/de-algemene-termijnenwet, whose list also has an
#   impossible "Friday 31 May" 2022); nothing found for 2020, 2021 and the rest of 2022.
_NL_ATW_EQUATED_DAYS = frozenset(
    {
        date(2017, 4, 28),
        date(2017, 5, 26),
        date(2018, 5, 11),
        date(2018, 12, 24),
        date(2018, 12, 31),
        date(2019, 5, 31),
        date(2019, 12, 27),
    }
)


class _AtwCalendar(_PackageCalendar):
    """The Netherlands: the days of art. 3 Algemene termijnenwet, not the package's general list.

    Art. 3(1) Atw names New Year's Day, Easter Monday, Whit Monday, both Christmas days,
    Ascension Day, the day the King's birthday is celebrated and "de vijfde mei" (every year,
    since the 1982 amendment); art. 3(2) adds Good Friday. The package already lists
    all of them except 5 May outside lustrum years (it follows collective agreements there), so
    5 May is added. Easter and Whit Sunday are in the package too; they are Sundays anyway.
    Sources: https://nl.wikipedia.org/wiki/Algemene_termijnenwet,
    https://staatsrechtpraktijk.nl/nieuwjaarsdag-en-kerstmis-in-het-staatsrecht/ (quotes art.
    3(1)-(2)), https://wvhl.nl/algemeen/de-algemene-termijnenwet (quotes art. 3(1)-(3)).
    """

    def holiday_name(self, day: date, language: str | None = None) -> str | None:
        name = self._public(day, language)
        if name is None and (day.month, day.day) == (5, 5):
            optional = _package_holidays(
                self.country, self.subdivision, self._language(language), holidays.OPTIONAL
            )
            found = optional.get(day)
            name = str(found) if found is not None else None
        if name is None and day in _NL_ATW_EQUATED_DAYS:
            name = gettext("Day equated with a public holiday by Royal Decree")
        return name


@cache
def calendar_for(country: str, subdivision: str = "") -> HolidayCalendar:
    """The public holidays that move deadlines for a controller in `country` / `subdivision`."""
    code = country.strip().upper()
    supported: dict[str, list[str]] = holidays.list_supported_countries()
    if code not in supported:
        raise ValueError(f"No holiday calendar is available for the country code {country!r}.")
    region = subdivision.strip()
    if region:
        by_upper = {name.upper(): name for name in supported[code]}
        if region.upper() not in by_upper:
            known = ", ".join(supported[code]) or "none"
            raise ValueError(
                f"{subdivision!r} is not a subdivision of {code} (known subdivisions: {known})."
            )
        region = by_upper[region.upper()]
    if code == "NL":
        return _AtwCalendar(code, region)
    return _PackageCalendar(code, region)


# --- Day arithmetic ----------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day number `months` later, or the last day of that month if it has none."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = _calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def is_working_day(day: date, calendar: HolidayCalendar) -> bool:
    return day.weekday() < 5 and calendar.holiday_name(day) is None


def next_working_day(day: date, calendar: HolidayCalendar) -> date:
    """`day` itself if it is a working day, otherwise the first working day after it."""
    for offset in range(_MAX_ROLL):
        candidate = day + timedelta(days=offset)
        if is_working_day(candidate, calendar):
            return candidate
    raise ValueError(f"The holiday calendar has no working day in the year from {day}.")


def add_working_days(day: date, n: int, calendar: HolidayCalendar) -> date:
    """The `n`-th working day after `day` (`day` itself for n = 0)."""
    if n < 0:
        raise ValueError(f"Cannot count {n} working days.")
    for _ in range(n):
        day = next_working_day(day + ONE_DAY, calendar)
    return day


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{time_zone!r} is not a known time zone.") from exc


def receipt_date(received_at: datetime, time_zone: str) -> date:
    """The calendar date, in the controller's time zone, on which a request arrived."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime (with a time zone).")
    return received_at.astimezone(_zone(time_zone)).date()


def deadline_end(due: date, time_zone: str) -> datetime:
    """The last instant of the due day in the controller's zone; midnight is already late."""
    return datetime.combine(due, time.max, tzinfo=_zone(time_zone))


# --- The computation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    asked_on: date
    answered_on: date | None  # None: still waiting
    # Why it was asked (identity, authority, scope): what the explanation says stopped it.
    purpose: str = ""


@dataclass(frozen=True)
class DeadlineInput:
    received: date
    calendar: HolidayCalendar
    pauses: tuple[Pause, ...] = ()
    extended_on: date | None = None
    undue_delay_working_days: int = 3
    uk_mode: bool = False
    as_of: date | None = None


@dataclass(frozen=True)
class Deadlines:
    received: date
    one_month: date
    strict_due: date
    policy_due: date
    strict_extended_due: date
    policy_extended_due: date
    extended: bool
    due: date
    paused_days: int
    paused_now: bool
    counted_pauses: tuple[Pause, ...]
    ignored_pauses: tuple[Pause, ...]
    # What explain() needs to say how the dates came about.
    three_months: date  # add_months(received, 3), before any pause or roll
    policy_unrolled: date  # policy_due before the roll to a working day
    policy_extended_unrolled: date  # policy_extended_due before the roll
    pause_limit: date  # the last day on which asking for information still stops the clock
    undue_delay_working_days: int
    uk_mode: bool
    restarted_on: date | None  # UK mode: the day the month (re)starts from
    extended_on: date | None  # as given, even when it came too late to count
    extension_too_late: bool  # extended_on is after policy_due, so there is no extension
    as_of: date | None

    @property
    def month_end_rule(self) -> bool:
        """The month had no such day, so the period ended on its last day (31 Jan -> 28 Feb)."""
        return self.one_month.day != self.received.day


def _pause_end(pause: Pause, as_of: date | None) -> date:
    if pause.answered_on is not None:
        return pause.answered_on
    if as_of is None:
        return pause.asked_on
    return max(as_of, pause.asked_on)


def _pause_days(pause: Pause, as_of: date | None) -> int:
    return (_pause_end(pause, as_of) - pause.asked_on).days


def _total_paused_days(pauses: Iterable[Pause], as_of: date | None) -> int:
    # Overlapping pauses (two questions open at once) stop the clock once, not twice.
    total = 0
    reached: date | None = None
    for start, end in sorted((p.asked_on, _pause_end(p, as_of)) for p in pauses):
        if reached is not None and start < reached:
            start = reached
        if end > start:
            total += (end - start).days
            reached = end
    return total


def compute(inp: DeadlineInput) -> Deadlines:
    received, cal = inp.received, inp.calendar
    if inp.undue_delay_working_days < 0:
        raise ValueError("undue_delay_working_days cannot be negative.")
    for pause in inp.pauses:
        if pause.asked_on < received:
            raise ValueError(f"A pause asked on {pause.asked_on} precedes receipt on {received}.")
        if pause.answered_on is not None and pause.answered_on < pause.asked_on:
            raise ValueError(
                f"A pause answered on {pause.answered_on} before it was asked on {pause.asked_on}."
            )

    pause_limit = add_working_days(received, inp.undue_delay_working_days, cal)
    ordered = sorted(inp.pauses, key=lambda p: p.asked_on)
    counted = tuple(p for p in ordered if p.asked_on <= pause_limit)
    ignored = tuple(p for p in ordered if p.asked_on > pause_limit)
    paused_days = _total_paused_days(counted, inp.as_of)

    one_month = add_months(received, 1)
    three_months = add_months(received, 3)
    restarted_on: date | None = None
    if inp.uk_mode and counted:
        # An open pause restarts the month at the earliest when the answer could still come.
        restarted_on = _pause_end(counted[-1], inp.as_of)
        policy_unrolled = add_months(restarted_on, 1)
        policy_extended_unrolled = add_months(restarted_on, 3)
    else:
        policy_unrolled = one_month + timedelta(days=paused_days)
        policy_extended_unrolled = three_months + timedelta(days=paused_days)
    policy_due = next_working_day(policy_unrolled, cal)
    policy_extended_due = next_working_day(policy_extended_unrolled, cal)

    # Art. 12(3): the extension must be notified within the first month; a later one is void.
    extension_too_late = inp.extended_on is not None and inp.extended_on > policy_due
    extended = inp.extended_on is not None and not extension_too_late

    return Deadlines(
        received=received,
        one_month=one_month,
        strict_due=next_working_day(one_month, cal),
        policy_due=policy_due,
        strict_extended_due=next_working_day(three_months, cal),
        policy_extended_due=policy_extended_due,
        extended=extended,
        due=policy_extended_due if extended else policy_due,
        paused_days=paused_days,
        paused_now=any(p.answered_on is None for p in counted),
        counted_pauses=counted,
        ignored_pauses=ignored,
        three_months=three_months,
        policy_unrolled=policy_unrolled,
        policy_extended_unrolled=policy_extended_unrolled,
        pause_limit=pause_limit,
        undue_delay_working_days=inp.undue_delay_working_days,
        uk_mode=inp.uk_mode,
        restarted_on=restarted_on,
        extended_on=inp.extended_on,
        extension_too_late=extension_too_late,
        as_of=inp.as_of,
    )


def extension_allowed(deadlines: Deadlines, on: date) -> bool:
    """Once only, and decided and notified on or before the one-month date that applies."""
    return not deadlines.extended and deadlines.received <= on <= deadlines.policy_due


# --- The explanation ---------------------------------------------------------------------------


def _fmt(day: date) -> str:
    # Translators: the date format of the due-date explanation, in Django's date-filter letters
    # (l = weekday, j = day, F = month, Y = year). Keep the letters; e.g. German "l, j. F Y".
    return date_format(day, pgettext("deadline explanation date format", "l j F Y"))


def _holiday(calendar: HolidayCalendar, day: date, language: str) -> str | None:
    if isinstance(calendar, _PackageCalendar):
        return calendar.holiday_name(day, language)
    return calendar.holiday_name(day)


def _roll_sentences(
    unrolled: date, rolled: date, calendar: HolidayCalendar, language: str
) -> list[str]:
    if unrolled == rolled:
        return []
    facts = {"date": _fmt(rolled), "weekday": date_format(unrolled, "l")}
    holiday = None if unrolled.weekday() >= 5 else _holiday(calendar, unrolled, language)
    if holiday is None:
        sentences = [
            gettext(
                "That is a %(weekday)s, so the period ends at the end of the next working day, "
                "%(date)s."
            )
            % facts
        ]
    else:
        sentences = [
            gettext(
                "That is a public holiday (%(holiday)s), so the period ends at the end of the "
                "next working day, %(date)s."
            )
            % {**facts, "holiday": holiday}
        ]
    day = unrolled + ONE_DAY
    while day < rolled:
        also = _holiday(calendar, day, language) if day.weekday() < 5 else None
        if also is not None:
            sentences.append(
                gettext("%(holiday)s on %(date)s is a public holiday too.")
                % {"holiday": also, "date": _fmt(day)}
            )
        day += ONE_DAY
    return sentences


def _pause_sentence(pause: Pause, deadlines: Deadlines) -> str:
    asked = _fmt(pause.asked_on)
    if deadlines.uk_mode:
        if pause.answered_on is None:
            return gettext(
                "We asked for information on %(asked)s and are still waiting for it."
            ) % {"asked": asked}
        return gettext("We asked for information on %(asked)s and received it on %(answered)s.") % {
            "asked": asked,
            "answered": _fmt(pause.answered_on),
        }
    days = _pause_days(pause, deadlines.as_of)
    if pause.answered_on is not None:
        return ngettext(
            "The clock stood still for %(days)d day while we waited for information we asked "
            "for on %(asked)s; it arrived on %(answered)s.",
            "The clock stood still for %(days)d days while we waited for information we asked "
            "for on %(asked)s; it arrived on %(answered)s.",
            days,
        ) % {"days": days, "asked": asked, "answered": _fmt(pause.answered_on)}
    if deadlines.as_of is None:
        return gettext(
            "The clock stands still while we wait for information we asked for on %(asked)s."
        ) % {"asked": asked}
    if days == 0:  # asked today: nothing has stood still yet
        return gettext(
            "The clock stopped on %(asked)s, when we asked for information, and stays stopped "
            "until it arrives."
        ) % {"asked": asked}
    return ngettext(
        "The clock has stood still for %(days)d day so far while we wait for information we "
        "asked for on %(asked)s.",
        "The clock has stood still for %(days)d days so far while we wait for information we "
        "asked for on %(asked)s.",
        days,
    ) % {"days": days, "asked": asked}


def _purpose_sentence(pause: Pause) -> list[str]:
    """Why that question could stop the clock (only these purposes may)."""
    if pause.purpose == "identity":
        return [gettext("We asked because we need to be sure the request comes from you.")]
    if pause.purpose == "authority":
        return [
            gettext("We asked because we need to see that the person acting for you may do so.")
        ]
    if pause.purpose == "scope":
        return [
            gettext(
                "We asked because we process a large quantity of information about you and "
                "need to know which information or processing the request is about."
            )
        ]
    return []


def _ignored_sentence(pause: Pause, deadlines: Deadlines) -> str:
    n = deadlines.undue_delay_working_days
    return ngettext(
        "We asked for information on %(asked)s, later than %(n)d working day after receipt "
        "(%(limit)s), so the clock did not stop for it.",
        "We asked for information on %(asked)s, later than %(n)d working days after receipt "
        "(%(limit)s), so the clock did not stop for it.",
        n,
    ) % {"asked": _fmt(pause.asked_on), "n": n, "limit": _fmt(deadlines.pause_limit)}


def _added_sentence(deadlines: Deadlines, unrolled: date) -> list[str]:
    if deadlines.uk_mode or deadlines.paused_days == 0:
        return []
    return [
        ngettext(
            "Adding the %(days)d paused day gives %(date)s.",
            "Adding the %(days)d paused days gives %(date)s.",
            deadlines.paused_days,
        )
        % {"days": deadlines.paused_days, "date": _fmt(unrolled)}
    ]


def explain(deadlines: Deadlines, language: str, calendar: HolidayCalendar) -> str:
    """One short paragraph, in `language`, on how the due date that applies came about."""
    d = deadlines
    with translation.override(language):
        sentences = [gettext("Received on %(date)s.") % {"date": _fmt(d.received)}]
        if d.month_end_rule:
            sentences.append(
                gettext(
                    "%(month)s has no day %(day)d, so one month later is the last day of that "
                    "month, %(date)s."
                )
                % {
                    "month": date_format(d.one_month, "F Y"),
                    "day": d.received.day,
                    "date": _fmt(d.one_month),
                }
            )
        else:
            sentences.append(gettext("One month later is %(date)s.") % {"date": _fmt(d.one_month)})

        for pause in d.counted_pauses:
            sentences += [_pause_sentence(pause, d), *_purpose_sentence(pause)]
        sentences += [_ignored_sentence(p, d) for p in d.ignored_pauses]
        if d.restarted_on is not None:
            if d.paused_now:
                sentences.append(
                    gettext(
                        "The month starts again on the day the information arrives; counted "
                        "from %(start)s, it would run to %(date)s."
                    )
                    % {"start": _fmt(d.restarted_on), "date": _fmt(d.policy_unrolled)}
                )
            else:
                sentences.append(
                    gettext(
                        "The month started again when the information arrived on %(start)s, "
                        "so it runs to %(date)s."
                    )
                    % {"start": _fmt(d.restarted_on), "date": _fmt(d.policy_unrolled)}
                )
        sentences += _added_sentence(d, d.policy_unrolled)
        sentences += _roll_sentences(d.policy_unrolled, d.policy_due, calendar, language)

        if d.extension_too_late and d.extended_on is not None:
            sentences.append(
                gettext(
                    "The extension recorded on %(date)s came after the one-month period had "
                    "ended, so it does not count."
                )
                % {"date": _fmt(d.extended_on)}
            )
        if d.extended:
            if d.restarted_on is not None:
                sentences.append(
                    gettext(
                        "The period was extended by two further months, counted from the day "
                        "the month started again: three months after %(start)s is %(date)s."
                    )
                    % {"start": _fmt(d.restarted_on), "date": _fmt(d.policy_extended_unrolled)}
                )
            else:
                sentences.append(
                    gettext(
                        "The period was extended by two further months, counted from receipt "
                        "and not from the end of the first month: three months after receipt "
                        "is %(date)s."
                    )
                    % {"date": _fmt(d.three_months)}
                )
                sentences += _added_sentence(d, d.policy_extended_unrolled)
            sentences += _roll_sentences(
                d.policy_extended_unrolled, d.policy_extended_due, calendar, language
            )

        sentences.append(gettext("The answer is due by %(date)s at 23:59.") % {"date": _fmt(d.due)})
        if d.paused_now and not d.uk_mode:
            sentences.append(
                gettext("While we wait, this date moves one day later for each further day.")
            )
    return " ".join(sentences)
