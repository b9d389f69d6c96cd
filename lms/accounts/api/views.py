from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts import (
    deletion,
    onboarding,
    selectors,
    services,
    tokens,
    two_factor,
    universities,
    user_cache,
)
from lms.accounts import export as data_export
from lms.accounts.api import serializers as s
from lms.accounts.current import current_user
from lms.accounts.errors import AccountError
from lms.accounts.models import InstructorApplication, User
from lms.accounts.throttles import AUTH_THROTTLES, LOGIN_THROTTLES, AuthIPThrottle
from lms.core.errors import NotFound
from lms.core.files import private_file_response
from lms.core.pagination import PageNumberPagination
from lms.core.parsers import FormParser, MultiPartParser
from lms.core.permissions import IsAdmin, IsStaffMember
from lms.core.schema import domain_errors
from lms.core.throttling import UserRateThrottle


def _accepted() -> Response:
    """The same answer whether or not the address has an account (no enumeration)."""
    return Response(
        {"detail": "If the address belongs to an account, an email is on its way."},
        status=status.HTTP_202_ACCEPTED,
    )


class PublicView(APIView):
    """An endpoint for anonymous callers that still answers 401 (not 403) on bad tokens."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def _me(request: Request) -> dict[str, Any]:
    user = selectors.user_with_profiles(user_id=request.user.pk)
    return dict(s.UserSerializer(user, context={"request": request}).data)


# Bump when UserSerializer's shape changes (else a deploy serves the old one up to a minute).
ME_BODY_VERSION = 2


def _cached_me(request: Request) -> dict[str, Any]:
    """`_me`, kept per user and per host (the avatar URL is the host's) until the next write
    of the user or their profile: the hottest signed-in read, served without a query."""
    name = f"me:{ME_BODY_VERSION}:{request.build_absolute_uri('/')}"
    return user_cache.cached_for_user(current_user(request), name, lambda: _me(request))


class RegisterView(PublicView):
    throttle_classes = [AuthIPThrottle]

    @domain_errors({400: ["email_taken", "password_too_weak"]})
    @extend_schema(request=s.RegisterInputSerializer, responses={201: s.UserSerializer})
    def post(self, request: Request) -> Response:
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_user(**data.validated_data, request=request)
        return Response(
            s.UserSerializer(user, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class VerifyEmailView(PublicView):
    throttle_classes = AUTH_THROTTLES

    @domain_errors({400: ["invalid_token", "invalid_code", "code_expired"]})
    @extend_schema(request=s.VerifyEmailInputSerializer, responses=s.UserSerializer)
    def post(self, request: Request) -> Response:
        data = s.VerifyEmailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.verify_email(**data.validated_data, request=request)
        return Response(s.UserSerializer(user, context={"request": request}).data)


class ResendVerificationView(PublicView):
    throttle_classes = AUTH_THROTTLES

    @extend_schema(request=s.EmailInputSerializer, responses={202: None})
    def post(self, request: Request) -> Response:
        data = s.EmailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.resend_verification(email=data.validated_data["email"])
        return _accepted()


def _signed_in(request: Request, user: User, pair: dict[str, str]) -> Response:
    user = selectors.user_with_profiles(user_id=user.pk)
    return Response({**pair, "user": s.UserSerializer(user, context={"request": request}).data})


class LoginView(PublicView):
    throttle_classes = LOGIN_THROTTLES

    @domain_errors({401: ["invalid_credentials"]})
    @extend_schema(
        request=s.LoginInputSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginAnswer",
                serializers=[s.LoginOutputSerializer, s.MfaChallengeSerializer],
                resource_type_field_name=None,
            ),
            403: s.MfaEnrollmentRequiredSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        data = s.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.log_in(**data.validated_data, request=request)
        if result.challenge is not None:
            body = {"mfa_required": True, "challenge": result.challenge}
            return Response(s.MfaChallengeSerializer(body).data)
        if result.setup_token is not None:
            error = {
                "code": AccountError.MFA_ENROLLMENT_REQUIRED.value,
                "detail": "Set up two-factor authentication before signing in.",
                "attr": None,
            }
            body = {"type": "client_error", "errors": [error], "setup_token": result.setup_token}
            return Response(body, status=status.HTTP_403_FORBIDDEN)
        assert result.tokens is not None
        return _signed_in(request, result.user, result.tokens)


class LoginTwoFactorView(PublicView):
    """The code step of a login with 2FA: `{challenge, code}` -> `{access, refresh, user}`."""

    throttle_classes = [AuthIPThrottle]

    @domain_errors({400: ["invalid_challenge", "challenge_expired", "invalid_code"]})
    @extend_schema(request=s.LoginTwoFactorInputSerializer, responses=s.LoginOutputSerializer)
    def post(self, request: Request) -> Response:
        data = s.LoginTwoFactorInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, pair = two_factor.complete_login(**data.validated_data, request=request)
        return _signed_in(request, user, pair)


class TwoFactorSetupView(APIView):
    accepts_mfa_setup_token = True  # lms.accounts.authentication

    @domain_errors({409: ["mfa_already_enabled"]})
    @extend_schema(request=None, responses=s.TwoFactorSetupSerializer)
    def post(self, request: Request) -> Response:
        setup = two_factor.begin_setup(user=current_user(request), request=request)
        return Response(s.TwoFactorSetupSerializer(setup).data)


class TwoFactorConfirmView(APIView):
    accepts_mfa_setup_token = True  # lms.accounts.authentication
    throttle_classes = [AuthIPThrottle]

    @domain_errors({400: ["invalid_code", "mfa_not_set_up"], 409: ["mfa_already_enabled"]})
    @extend_schema(request=s.CodeInputSerializer, responses=s.RecoveryCodesSerializer)
    def post(self, request: Request) -> Response:
        data = s.CodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enabled = two_factor.confirm(
            user=current_user(request), code=data.validated_data["code"], request=request
        )
        return Response(s.RecoveryCodesSerializer(enabled).data)


class TwoFactorDisableView(APIView):
    throttle_classes = [AuthIPThrottle]

    @domain_errors({400: ["invalid_code", "mfa_not_enabled"], 403: ["mfa_required_for_staff"]})
    @extend_schema(request=s.CodeInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = s.CodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        two_factor.disable(
            user=current_user(request), code=data.validated_data["code"], request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RefreshView(PublicView):
    @domain_errors({401: ["token_not_valid"]})
    @extend_schema(request=s.RefreshInputSerializer, responses=s.TokenPairSerializer)
    def post(self, request: Request) -> Response:
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(tokens.rotate_refresh_token(raw=data.validated_data["refresh"]))


class LogoutView(APIView):
    @extend_schema(request=s.RefreshInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.log_out(
            user=current_user(request), refresh=data.validated_data["refresh"], request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=s.UserSerializer)
    def get(self, request: Request) -> Response:
        return Response(_cached_me(request))

    @extend_schema(request=s.MeUpdateInputSerializer, responses=s.UserSerializer)
    def patch(self, request: Request) -> Response:
        data = s.MeUpdateInputSerializer(data=request.data, context={"user": current_user(request)})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        profile_fields = fields.pop("profile", {})
        services.update_me(
            user=current_user(request),
            fields=fields,
            profile_fields=profile_fields,
            request=request,
        )
        return Response(_me(request))

    @domain_errors(
        {
            400: ["wrong_password", "code_required", "invalid_code"],
            409: ["balance_outstanding", "last_admin"],
            503: ["service_unavailable"],  # the two-factor code's limit, while Redis is down
        }
    )
    @extend_schema(request=s.DeleteAccountInputSerializer, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Delete your account: personal data erased, financial records kept anonymously."""
        data = s.DeleteAccountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deletion.delete_account(user=current_user(request), **data.validated_data, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DataExportView(APIView):
    """Ask for a ZIP of your data; it is emailed as a link that expires (lms.accounts.export)."""

    @domain_errors({409: ["export_running"]})
    @extend_schema(request=None, responses={202: s.DataExportSerializer})
    def post(self, request: Request) -> Response:
        export = data_export.request_export(user=current_user(request), request=request)
        return Response(s.DataExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class DataExportDownloadView(PublicView):
    """The emailed link: `?token=` signed, valid DATA_EXPORT_LINK_TTL_HOURS; 404 otherwise."""

    @extend_schema(
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> FileResponse:
        params = s.ExportDownloadQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        export = data_export.export_for_token(token=params.validated_data["token"], request=request)
        return private_file_response(export.file, filename_stem=f"my-data-{export.pk}")


class AvatarView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=s.AvatarInputSerializer, responses=s.UserSerializer)
    def post(self, request: Request) -> Response:
        data = s.AvatarInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_avatar(user=current_user(request), file=data.validated_data["avatar"])
        return Response(_me(request))


class ChangePasswordView(APIView):
    # The old password is checked: the sign-in limit per client (fails closed, 503, while
    # Redis is down) on top of the per-user one.
    throttle_classes = [AuthIPThrottle, UserRateThrottle]

    @domain_errors({400: ["wrong_password", "password_too_weak"]})
    @extend_schema(request=s.ChangePasswordInputSerializer, responses=s.TokenPairSerializer)
    def post(self, request: Request) -> Response:
        data = s.ChangePasswordInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.change_password(
            user=current_user(request), **data.validated_data, request=request
        )
        return Response(s.TokenPairSerializer(pair).data)


class PasswordResetView(PublicView):
    throttle_classes = AUTH_THROTTLES

    @extend_schema(request=s.EmailInputSerializer, responses={202: None})
    def post(self, request: Request) -> Response:
        data = s.EmailInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_password_reset(email=data.validated_data["email"], request=request)
        return _accepted()


class PasswordResetConfirmView(PublicView):
    throttle_classes = AUTH_THROTTLES

    @domain_errors({400: ["invalid_token", "invalid_code", "code_expired", "password_too_weak"]})
    @extend_schema(request=s.PasswordResetConfirmInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = s.PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.confirm_password_reset(**data.validated_data, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InstructorApplicationListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=InstructorApplication.Status.values)
        ],
        responses=s.InstructorApplicationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = s.ApplicationListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = selectors.applications_visible_to(
            current_user(request), status=params.validated_data.get("status")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = s.InstructorApplicationSerializer(page, many=True, context={"request": request})
        return paginator.get_paginated_response(data.data)

    @domain_errors({409: ["already_instructor", "application_pending"]})
    @extend_schema(
        request=s.InstructorApplicationInputSerializer,
        responses={201: s.InstructorApplicationSerializer},
    )
    def post(self, request: Request) -> Response:
        data = s.InstructorApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.submit_instructor_application(
            user=current_user(request), **data.validated_data, request=request
        )
        return Response(
            s.InstructorApplicationSerializer(application, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class InstructorApplicationDetailView(APIView):
    @extend_schema(responses=s.InstructorApplicationSerializer)
    def get(self, request: Request, pk: str) -> Response:
        application = selectors.application_for_user(user=current_user(request), application_id=pk)
        return Response(
            s.InstructorApplicationSerializer(application, context={"request": request}).data
        )


class InstructorApplicationFileView(APIView):
    """The CV or certificate, to the applicant and staff only, always as an attachment."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: str, kind: str) -> FileResponse:
        application = selectors.application_for_user(user=current_user(request), application_id=pk)
        if kind not in ("cv", "certificate"):
            raise NotFound()
        return private_file_response(
            getattr(application, kind), filename_stem=f"{kind}-{application.pk}"
        )


class InstructorApplicationApproveView(APIView):
    permission_classes = [IsStaffMember]

    @domain_errors({409: ["application_not_pending"]})
    @extend_schema(request=None, responses=s.InstructorApplicationSerializer)
    def post(self, request: Request, pk: str) -> Response:
        application = get_object_or_404(InstructorApplication, pk=pk)
        application = services.approve_instructor_application(
            application=application, by=current_user(request), request=request
        )
        return Response(
            s.InstructorApplicationSerializer(application, context={"request": request}).data
        )


class InstructorApplicationRejectView(APIView):
    permission_classes = [IsStaffMember]

    @domain_errors({409: ["application_not_pending"]})
    @extend_schema(request=s.RejectInputSerializer, responses=s.InstructorApplicationSerializer)
    def post(self, request: Request, pk: str) -> Response:
        application = get_object_or_404(InstructorApplication, pk=pk)
        data = s.RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.reject_instructor_application(
            application=application,
            by=current_user(request),
            reason=data.validated_data["reason"],
            request=request,
        )
        return Response(
            s.InstructorApplicationSerializer(application, context={"request": request}).data
        )


class InstructorListView(generics.ListAPIView[User]):
    permission_classes = [AllowAny]
    serializer_class = s.PublicInstructorSerializer

    @extend_schema(parameters=[OpenApiParameter("search", OpenApiTypes.STR)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return selectors.public_instructors(search=self.request.query_params.get("search"))


class InstructorDetailView(generics.RetrieveAPIView[User]):
    permission_classes = [AllowAny]
    serializer_class = s.PublicInstructorSerializer

    def get_queryset(self) -> Any:
        return selectors.public_instructors()


class UserListView(generics.ListAPIView[User]):
    permission_classes = [IsStaffMember]
    serializer_class = s.AdminUserSerializer

    @extend_schema(parameters=[s.UserListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        params = s.UserListQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.users_for_staff(**params.validated_data)


class UserDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=s.AdminUserSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(s.AdminUserSerializer(get_object_or_404(User, pk=pk)).data)

    @domain_errors({400: ["cannot_modify_self"]})
    @extend_schema(request=s.AdminUserUpdateInputSerializer, responses=s.AdminUserSerializer)
    def patch(self, request: Request, pk: str) -> Response:
        user = get_object_or_404(User, pk=pk)
        data = s.AdminUserUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.update_user_by_admin(
            user=user, by=current_user(request), **data.validated_data, request=request
        )
        return Response(s.AdminUserSerializer(user).data)


# --- universities and onboarding -------------------------------------------------------------


class UniversityListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[s.UniversityListQuerySerializer],
        responses=s.UniversitySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = s.UniversityListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = universities.universities(**params.validated_data)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = s.UniversitySerializer(page, many=True, context={"request": request})
        return paginator.get_paginated_response(data.data)


class UniversityDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=s.UniversitySerializer)
    def get(self, request: Request, pk: str) -> Response:
        university = universities.university(university_id=pk)
        return Response(s.UniversitySerializer(university, context={"request": request}).data)


class MyUniversityView(APIView):
    @domain_errors({400: ["university_not_found"]})
    @extend_schema(request=s.AffiliationInputSerializer, responses=s.AffiliationSerializer)
    def put(self, request: Request) -> Response:
        data = s.AffiliationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = current_user(request)
        affiliation = universities.set_affiliation(
            user=user, university_id=data.validated_data["university_id"], request=request
        )
        body = {
            "university": affiliation.university,
            "verified": universities.is_verified(user, affiliation.university),
        }
        return Response(s.AffiliationSerializer(body).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        universities.remove_affiliation(user=current_user(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _onboarding(request: Request) -> Response:
    user = current_user(request)
    body = {"questions": onboarding.active_questions(), "answers": onboarding.answers_of(user)}
    return Response(s.OnboardingSerializer(body).data)


class OnboardingView(APIView):
    @extend_schema(responses=s.OnboardingSerializer)
    def get(self, request: Request) -> Response:
        return _onboarding(request)

    @domain_errors({400: ["invalid_answer"]})
    @extend_schema(request=s.OnboardingInputSerializer, responses=s.OnboardingSerializer)
    def put(self, request: Request) -> Response:
        data = s.OnboardingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        onboarding.save_answers(user=current_user(request), answers=data.validated_data["answers"])
        return _onboarding(request)
