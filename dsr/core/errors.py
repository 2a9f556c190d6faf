"""The one error a use case raises: refused, with a message for the person acting."""


class RequestError(Exception):
    """A use case refused; the message is for the person acting, in their language."""
