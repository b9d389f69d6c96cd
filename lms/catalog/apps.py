from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "lms.catalog"
    label = "catalog"

    def ready(self) -> None:
        from lms.accounts import services as accounts_services

        from . import services

        # The instructor's name is part of their courses' search documents.
        accounts_services.name_change_handlers.register("catalog", services.on_user_renamed)
        # Their name, avatar and headline are on the pages the response cache keeps.
        accounts_services.public_profile_handlers.register(
            "catalog", services.on_public_profile_changed
        )

        from lms.accounts import personal_data as accounts_personal_data

        from . import personal_data

        accounts_personal_data.exporters.register("catalog", personal_data.export)

        from lms.accounts import universities

        from . import cache

        # `?university=` lists depend on affiliations, universities' domains and verified emails
        universities.affiliation_changed_handlers.register("catalog", cache.bump)
