from django.urls import path

from lms.accounts.api import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/verify-email/", views.VerifyEmailView.as_view(), name="auth-verify-email"),
    path(
        "auth/resend-verification/",
        views.ResendVerificationView.as_view(),
        name="auth-resend-verification",
    ),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/login/2fa/", views.LoginTwoFactorView.as_view(), name="auth-login-2fa"),
    path("auth/2fa/setup/", views.TwoFactorSetupView.as_view(), name="auth-2fa-setup"),
    path("auth/2fa/confirm/", views.TwoFactorConfirmView.as_view(), name="auth-2fa-confirm"),
    path("auth/2fa/disable/", views.TwoFactorDisableView.as_view(), name="auth-2fa-disable"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("auth/me/avatar/", views.AvatarView.as_view(), name="auth-me-avatar"),
    path("auth/me/export/", views.DataExportView.as_view(), name="auth-me-export"),
    path(
        "auth/me/export/download/",
        views.DataExportDownloadView.as_view(),
        name="auth-me-export-download",
    ),
    path("auth/change-password/", views.ChangePasswordView.as_view(), name="auth-change-password"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path(
        "instructor-applications/",
        views.InstructorApplicationListView.as_view(),
        name="instructor-application-list",
    ),
    path(
        "instructor-applications/<uuid:pk>/",
        views.InstructorApplicationDetailView.as_view(),
        name="instructor-application-detail",
    ),
    path(
        "instructor-applications/<uuid:pk>/files/<str:kind>/",
        views.InstructorApplicationFileView.as_view(),
        name="instructor-application-file",
    ),
    path(
        "instructor-applications/<uuid:pk>/approve/",
        views.InstructorApplicationApproveView.as_view(),
        name="instructor-application-approve",
    ),
    path(
        "instructor-applications/<uuid:pk>/reject/",
        views.InstructorApplicationRejectView.as_view(),
        name="instructor-application-reject",
    ),
    path("auth/me/university/", views.MyUniversityView.as_view(), name="auth-me-university"),
    path("universities/", views.UniversityListView.as_view(), name="university-list"),
    path("universities/<uuid:pk>/", views.UniversityDetailView.as_view(), name="university-detail"),
    path("onboarding/", views.OnboardingView.as_view(), name="onboarding"),
    path("instructors/", views.InstructorListView.as_view(), name="instructor-list"),
    path("instructors/<uuid:pk>/", views.InstructorDetailView.as_view(), name="instructor-detail"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/<uuid:pk>/", views.UserDetailView.as_view(), name="user-detail"),
]
