"""The error codes of accounts, in one place."""

from enum import StrEnum


class AccountError(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    EMAIL_NOT_VERIFIED = "email_not_verified"
    EMAIL_TAKEN = "email_taken"
    INVALID_TOKEN = "invalid_token"
    INVALID_CODE = "invalid_code"
    CODE_EXPIRED = "code_expired"
    WRONG_PASSWORD = "wrong_password"
    PASSWORD_TOO_WEAK = "password_too_weak"
    ALREADY_INSTRUCTOR = "already_instructor"
    APPLICATION_PENDING = "application_pending"
    APPLICATION_NOT_PENDING = "application_not_pending"
    CANNOT_MODIFY_SELF = "cannot_modify_self"
