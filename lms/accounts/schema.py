"""OpenAPI: describe our JWTAuthentication subclass as the bearer scheme simplejwt documents."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class BearerJWTScheme(SimpleJWTScheme):
    target_class = "lms.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
