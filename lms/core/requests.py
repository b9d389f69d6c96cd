"""The request a service may receive to attribute an action (audit IP and user agent)."""

from django.http import HttpRequest
from rest_framework.request import Request

AnyRequest = HttpRequest | Request | None
