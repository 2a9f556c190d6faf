"""The statutory clock of one request, derived from its events (see dsr.deadlines)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from dsr import deadlines as engine
from dsr.core.controller import get_controller
from dsr.models import CLOSED_STATUSES, Controller, EventKind, RequestEvent, SubjectRequest


@dataclass(frozen=True)
class Clock:
    deadlines: engine.Deadlines
    calendar: engine.HolidayCalendar
    time_zone: str

    def explain(self, language: str) -> str:
        return engine.explain(self.deadlines, language, self.calendar)

    def extension_allowed(self, on: date) -> bool:
        return engine.extension_allowed(self.deadlines, on)


def local_date(at: datetime, controller: Controller | None = None) -> date:
    return engine.receipt_date(at, (controller or get_controller()).time_zone)


def today(controller: Controller | None = None) -> date:
    return local_date(timezone.now(), controller)


def clock_for(
    request: SubjectRequest,
    events: list[RequestEvent] | None = None,
    *,
    controller: Controller | None = None,
) -> Clock:
    controller = controller or get_controller()
    events = list(request.events.all()) if events is None else events
    calendar = engine.calendar_for(controller.country, controller.subdivision)
    pauses: list[engine.Pause] = []
    asked_on: date | None = None
    purpose = ""
    extended_on: date | None = None
    for event in events:
        on = local_date(event.at, controller)
        if event.kind == EventKind.INFO_REQUESTED and asked_on is None:
            asked_on = on
            purpose = str((event.data or {}).get("purpose", ""))
        elif event.kind == EventKind.INFO_RECEIVED and asked_on is not None:
            pauses.append(engine.Pause(asked_on=asked_on, answered_on=on, purpose=purpose))
            asked_on = None
        elif event.kind == EventKind.EXTENDED and extended_on is None:
            extended_on = on
    if asked_on is not None:
        pauses.append(engine.Pause(asked_on=asked_on, answered_on=None, purpose=purpose))
    as_of = today(controller)
    if request.status in CLOSED_STATUSES and events:
        as_of = local_date(events[-1].at, controller)  # a closed request's clock stopped then
    computed = engine.compute(
        engine.DeadlineInput(
            received=request.received_on,
            calendar=calendar,
            pauses=tuple(pauses),
            extended_on=extended_on,
            undue_delay_working_days=settings.DSR_PAUSE_UNDUE_DELAY_WORKING_DAYS,
            uk_mode=settings.DSR_UK_PAUSE_MODE,
            as_of=as_of,
        )
    )
    return Clock(computed, calendar, controller.time_zone)
