"""Celery tasks of commerce: thin wrappers that call services (ids in, never instances)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from lms.core.tasks import IDEMPOTENT, RETRIED

from . import services
from .models import Order
from .receipts import receipt_email_context, receipt_pdf


@shared_task(**RETRIED)
def send_order_receipt(order_id: str) -> None:
    """The receipt email of a paid order, with its PDF attached."""
    order = Order.objects.select_related("user").prefetch_related("items").get(pk=order_id)
    context = receipt_email_context(order=order)
    subject = render_to_string("emails/receipt.subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject,
        render_to_string("emails/receipt.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [order.user.email],
    )
    message.attach_alternative(render_to_string("emails/receipt.html", context), "text/html")
    message.attach(f"receipt-{order.number}.pdf", receipt_pdf(order=order), "application/pdf")
    message.send()


@shared_task(**IDEMPOTENT)
def reconcile_pending_payments() -> dict[str, int]:
    """Beat, every 15 minutes: the provider's truth about payments pending over an hour,
    and another try (same idempotency key) of refunds whose provider call failed."""
    counts = services.reconcile_pending_payments()
    counts["refunds_retried"] = services.retry_pending_refunds()
    return counts


@shared_task(**RETRIED, **IDEMPOTENT)
def retry_refund(refund_id: str) -> str:
    """Send one refund again with its own deterministic idempotency key."""
    return str(services.execute_refund(refund_id=refund_id).status)
