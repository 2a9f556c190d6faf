"""The one error a use case raises: refused, with a message for the person acting."""


class RequestError(Exception):
    """A use case refused; the message is for the person acting, in their language."""


class TryLater(Exception):
    """Owed work failed for a reason that may pass (a receiver down or busy): the outbox tries
    it again with backoff (``dsr.core.taskqueue.transient``). The message carries no personal
    data."""
