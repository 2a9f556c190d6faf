"""The accounts app's owed work: the staff invitation e-mail (accounts.invitations)."""

from celery import shared_task

from accounts import invitations
from dsr.core import taskqueue


@shared_task(name=invitations.SEND_TASK, base=taskqueue.Owed)
def send_staff_invitation(invitation_id: int) -> bool:
    return invitations.send(invitation_id)
