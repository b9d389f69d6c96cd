from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "lms.catalog"
    label = "catalog"
