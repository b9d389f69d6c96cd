from django.urls import path

from lms.payouts.api import views

urlpatterns = [
    path("wallet/", views.WalletView.as_view(), name="wallet"),
    path(
        "wallet/transactions/", views.WalletTransactionsView.as_view(), name="wallet-transactions"
    ),
    path("withdrawals/", views.WithdrawalListView.as_view(), name="withdrawal-list"),
    path("withdrawals/<uuid:pk>/", views.WithdrawalDetailView.as_view(), name="withdrawal-detail"),
    path(
        "withdrawals/<uuid:pk>/approve/",
        views.WithdrawalApproveView.as_view(),
        name="withdrawal-approve",
    ),
    path(
        "withdrawals/<uuid:pk>/reject/",
        views.WithdrawalRejectView.as_view(),
        name="withdrawal-reject",
    ),
    path(
        "withdrawals/<uuid:pk>/mark-paid/",
        views.WithdrawalMarkPaidView.as_view(),
        name="withdrawal-mark-paid",
    ),
]
