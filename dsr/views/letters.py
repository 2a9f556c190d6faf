"""A letter's PDF copy from the case page (to keep, or to post), each download audited."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import staff_required, staff_user
from dsr.core import audit
from dsr.core.files import FileRefused
from dsr.core.messages import letter_copy
from dsr.models import SentLetter


@staff_required
def letter_pdf(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    letter = get_object_or_404(
        SentLetter.objects.select_related("request", "pdf"), pk=pk, request__reference=reference
    )
    if not letter.with_pdf:
        raise Http404
    audit.staff_viewed(letter.request_id, staff_user(request).pk, f"letter:{letter.pk}")
    try:
        content = letter_copy(letter)
    except FileRefused as exc:
        return render(request, "dsr/file_refused.html", {"message": str(exc)}, status=409)
    response = HttpResponse(content, content_type="application/pdf")
    name = f"{letter.request.reference}-{letter.template}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
