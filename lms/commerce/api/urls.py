from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/items/", views.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<uuid:item_id>/", views.CartItemDetailView.as_view(), name="cart-item"),
    path("cart/coupon/", views.CartCouponView.as_view(), name="cart-coupon"),
    path("wishlist/", views.WishlistView.as_view(), name="wishlist"),
    path("wishlist/<str:course>/", views.WishlistItemView.as_view(), name="wishlist-item"),
    path("coupons/", views.CouponListView.as_view(), name="coupons"),
    path("coupons/<uuid:coupon_id>/", views.CouponDetailView.as_view(), name="coupon-detail"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path(
        "orders/create-from-cart/", views.OrderCreateFromCartView.as_view(), name="orders-from-cart"
    ),
    path("orders/<uuid:order_id>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<uuid:order_id>/receipt/", views.OrderReceiptView.as_view(), name="order-receipt"),
    path("orders/<uuid:order_id>/refund/", views.OrderRefundView.as_view(), name="order-refund"),
    path("payments/checkout/", views.CheckoutView.as_view(), name="payments-checkout"),
    path(
        "payments/webhook/stripe/",
        views.StripeWebhookView.as_view(),
        name="payments-webhook-stripe",
    ),
    path("payments/<uuid:payment_id>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path(
        "payments/<uuid:payment_id>/simulate/",
        views.SimulatePaymentView.as_view(),
        name="payment-simulate",
    ),
    path(
        "courses/<str:course>/revenue-shares/",
        views.RevenueSharesView.as_view(),
        name="course-revenue-shares",
    ),
]
