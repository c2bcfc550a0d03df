from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    """Onboarding a region from its own tables (territories, categories, agencies, routing): above
    both the master data it writes and the understanding whose name matching it uses."""

    name = "otklik.onboarding"
    verbose_name = _("Onboarding")
