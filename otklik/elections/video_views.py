"""The center's video sessions with the districts: each district's standing link and an agenda made
from its current figures (:mod:`otklik.elections.video`); the headquarters add sessions here, the
links are set in the admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import access, video
from .forms import VideoSessionForm
from .models import DistrictVideoLink


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    access.require_headquarters(request.user)
    form = VideoSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The session is on the schedule."))
        return redirect("elections:sessions")
    planned = list(video.upcoming_sessions()[:20])
    chosen = {s.pk: video.session_districts(s) for s in planned}
    districts = {d.pk: d for ds in chosen.values() for d in ds}
    agendas = {
        a.district.pk: a
        for a in video.agenda(sorted(districts.values(), key=lambda d: d.name), access.active_election())
    }
    schedule = [(s, [agendas[d.pk] for d in chosen[s.pk]]) for s in planned]
    context = {
        "form": form,
        "schedule": schedule,
        "links": DistrictVideoLink.objects.select_related("territory"),
    }
    return render(request, "elections/sessions.html", context, status=400 if form.errors else 200)
