"""The product's URLs plus the bench's floor view (used only by bench/run.py)."""

from django.urls import path

from bench.baselines import BaselineDutyList
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("bench/duties/", BaselineDutyList.as_view()), *product_urlpatterns]
