from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("alerts/", views.subscribe, name="subscribe"),
    path("alerts/sent/", views.subscribe_sent, name="subscribe-sent"),
    path("alerts/confirm/<str:token>/", views.confirm, name="confirm"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
