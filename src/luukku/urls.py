from django.urls import include, path

from luukku.api.urls import api
from luukku.channels.sms import receipts as sms_receipts
from luukku.web.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("luukku.customers.urls")),
    path("desk/", include("luukku.desk.urls")),
    path("segments/", include("luukku.segments.urls")),
    path("campaigns/", include("luukku.campaigns.urls")),
    path("journeys/", include("luukku.journeys.urls")),
    path("t/", include("luukku.campaigns.public_urls")),
    path("sms/status/", sms_receipts.status, name="sms_status"),
    path("", include("luukku.consent.urls")),
    path("", include("luukku.web.urls")),
]
