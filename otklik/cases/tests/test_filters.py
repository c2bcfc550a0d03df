"""The one case filter (otklik.cases.filters.CaseFilter) and its consumers.

The operator queue, the REST API and the case export must answer the same question with the same
cases: every row of the table below is asked of all three. Category, territory and agency match the
value a case shows — decided, or while none is decided, the pipeline's suggestion
(docs/decisions/0006-one-case-filter.md).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import filters as case_filters
from otklik.cases.api import CaseViewSet
from otklik.cases.choices import CaseStatus
from otklik.cases.filters import CaseFilter
from otklik.cases.models import Case
from otklik.directory.choices import Channel, TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    now = timezone.now()
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    district = make_territory("Энгельсский район", parent=region)
    village = make_territory("Шумейка", kind=TerritoryKind.SETTLEMENT, parent=district)
    other = make_territory("Балаковский район", parent=region)
    housing = make_category("ЖКХ")
    heating = make_category("Отопление", parent=housing)
    roads = make_category("Дороги")
    water, transport = make_agency("Водоканал"), make_agency("Минтранс")
    cases = {
        # waiting for a moderator: only the pipeline's suggestion is known
        "waiting": make_case(
            status=CaseStatus.MODERATION,
            suggested_category=heating,
            suggested_territory=village,
            suggested_agency=water,
            channel=Channel.VK,
            text="Холодные батареи в школе",
        ),
        # decided against its suggestion: the decision wins
        "decided": make_case(
            status=CaseStatus.ASSIGNED,
            category=roads,
            territory=other,
            agency=transport,
            suggested_category=heating,
            suggested_territory=village,
            suggested_agency=water,
            channel=Channel.TELEGRAM,
            deadline_at=now - timedelta(hours=3),
            text="Яма на дороге",
        ),
        "housing": make_case(
            status=CaseStatus.IN_PROGRESS,
            category=housing,
            territory=district,
            agency=water,
            channel=Channel.EMAIL,
            deadline_at=now + timedelta(days=3),
            text="Протекает крыша",
        ),
        "bare": make_case(status=CaseStatus.NEW, channel=Channel.VK, text="Нет света"),
    }
    return {
        "region": region,
        "district": district,
        "village": village,
        "other": other,
        "housing": housing,
        "heating": heating,
        "roads": roads,
        "water": water,
        "transport": transport,
        "cases": cases,
        "moderator": make_user(Role.MODERATOR),
        "executor": make_user(Role.EXECUTOR, agency=water),
    }


ROWS = [
    ({}, {"waiting", "decided", "housing", "bare"}),
    ({"category": "heating"}, {"waiting"}),  # suggested, nothing decided
    ({"category": "housing"}, {"waiting", "housing"}),  # a top category covers its subcategories
    ({"category": "roads"}, {"decided"}),  # the decision, not the suggestion
    ({"territory": "village"}, {"waiting"}),
    ({"territory": "district"}, {"waiting", "housing"}),  # a district covers its settlements
    ({"territory": "region"}, {"waiting", "decided", "housing"}),
    ({"territory": "other"}, {"decided"}),
    ({"agency": "water"}, {"waiting", "housing"}),
    ({"agency": "transport"}, {"decided"}),
    ({"status": "moderation"}, {"waiting"}),
    ({"channel": "vk"}, {"waiting", "bare"}),
    ({"overdue": "true"}, {"decided"}),
    ({"q": "батареи"}, {"waiting"}),
    ({"category": "housing", "channel": "email"}, {"housing"}),
]


def _query(world: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    return {k: (str(world[v].pk) if v in world else v) for k, v in params.items()}


def _queue(client: Any, user: Any, query: dict[str, str]) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("cases:queue"), {"tab": "all", **query})
    assert response.status_code == 200
    return {case.number for case in response.context["cases"]}


def _api(client: Any, user: Any, query: dict[str, str]) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("api:case-list"), query)
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def _export(query: dict[str, str], tmp_path: Any) -> set[str]:
    out = tmp_path / "cases.csv"
    options = [f"--{name}={value}" for name, value in query.items() if name != "q"]
    call_command("export_cases", "--out", str(out), "--no-progress", *options, stdout=io.StringIO())
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    numbers = {case.number for case in Case.objects.all()}
    return {cell for row in rows[1:] for cell in row if cell in numbers}


@pytest.mark.parametrize(("params", "expected"), ROWS)
def test_the_queue_and_the_api_answer_alike(client, world, params, expected):
    query = _query(world, params)
    want = {world["cases"][name].number for name in expected}
    assert _queue(client, world["moderator"], query) == want
    assert _api(client, world["moderator"], query) == want
    direct = CaseFilter(query, Case.objects.all())
    assert direct.is_valid() and {c.number for c in direct.qs} == want


@pytest.mark.parametrize(("params", "expected"), [row for row in ROWS if "q" not in row[0]])
def test_the_export_answers_alike(world, tmp_path, params, expected):
    assert _export(_query(world, params), tmp_path) == {world["cases"][n].number for n in expected}


def test_the_filter_narrows_a_scope_and_never_widens_it(client, world):
    # the executor of the water company sees its cases only, whatever the filter says
    mine = {world["cases"]["housing"].number}
    assert _queue(client, world["executor"], _query(world, {"agency": "transport"})) == set()
    assert _api(client, world["executor"], _query(world, {"agency": "transport"})) == set()
    assert _queue(client, world["executor"], _query(world, {"territory": "district"})) == mine
    assert _api(client, world["executor"], _query(world, {"territory": "district"})) == mine


def test_the_api_shows_what_it_filters_by(client, world):
    client.force_login(world["moderator"])
    row = next(
        r
        for r in client.get(reverse("api:case-list"), {"category": world["heating"].pk}).json()["results"]
        if r["number"] == world["cases"]["waiting"].number
    )
    assert row["category"] is None and row["suggested_category"]["id"] == world["heating"].pk
    assert row["suggested_territory"]["id"] == world["village"].pk
    assert row["suggested_agency"]["id"] == world["water"].pk


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "lost"},
        {"status": "assigned,lost"},
        {"channel": "fax"},
        {"category": "x"},
        {"category": "999999"},
        {"territory": "-1"},
        {"agency": "x"},
        {"overdue": "maybe"},
    ],
)
def test_a_bad_parameter_narrows_nothing_in_the_queue_and_is_named_by_the_api(client, world, bad):
    every = {case.number for case in world["cases"].values()}
    assert _queue(client, world["moderator"], bad) == every
    client.force_login(world["moderator"])
    response = client.get(reverse("api:case-list"), bad)
    assert response.status_code == 400 and set(response.json()) == set(bad)


def test_a_bad_parameter_stops_an_export_with_its_name(world, tmp_path):
    with pytest.raises(CommandError, match="--category"):
        call_command("export_cases", "--out", str(tmp_path / "x.csv"), "--category", "nope", "--no-progress")
    assert not (tmp_path / "x.csv").exists()


def test_overdue_reads_a_tick_box_and_true_or_false(client, world):
    late = {world["cases"]["decided"].number}
    for value in ("on", "true", "1", "yes"):
        assert _queue(client, world["moderator"], {"overdue": value}) == late
        assert _api(client, world["moderator"], {"overdue": value}) == late
    others = {world["cases"][n].number for n in ("waiting", "housing", "bare")}
    assert _api(client, world["moderator"], {"overdue": "false"}) == others
    assert _queue(client, world["moderator"], {"overdue": ""}) == late | others  # unticked: either


def test_several_statuses_and_channels_separated_by_commas(client, world):
    query = {"status": "moderation,in_progress", "channel": "vk,email"}
    want = {world["cases"][n].number for n in ("waiting", "housing")}
    assert _queue(client, world["moderator"], query) == want
    assert _api(client, world["moderator"], query) == want


def test_the_queue_offers_the_municipalities_and_the_category_tree(client, world):
    client.force_login(world["moderator"])
    form = client.get(reverse("cases:queue")).context["form"]
    offered = [name for pk, name in form.fields["category"].widget.choices if pk]
    assert offered == ["Дороги", "ЖКХ", "— Отопление"]  # the tree
    territories = {name for pk, name in form.fields["territory"].widget.choices if pk}
    assert territories == {"Саратовская область", "Энгельсский район", "Балаковский район"}
    # a settlement chosen elsewhere (a link, the API's habit) still filters, and is shown chosen
    query = {"territory": world["village"].pk}
    assert _queue(client, world["moderator"], query) == {world["cases"]["waiting"].number}
    page = client.get(reverse("cases:queue"), query).content.decode()
    assert f'<option value="{world["village"].pk}" selected>Шумейка</option>' in page
    html = client.get(reverse("cases:queue"), {"status": "moderation", "sort": "deadline"}).content.decode()
    assert '<option value="moderation" selected>' in html and '<option value="deadline" selected>' in html


def test_the_offered_choices_follow_a_renamed_added_or_deleted_row(client, world):
    """The queue's options are kept in the process (one version query instead of a query per select):
    a save or delete of a category, territory or agency shows on the next page."""
    client.force_login(world["moderator"])

    def offered(field: str) -> list[str]:
        form = client.get(reverse("cases:queue")).context["form"]
        return [str(name) for pk, name in form.fields[field].widget.choices if pk]

    assert offered("category") == ["Дороги", "ЖКХ", "— Отопление"]
    roads = world["cases"]["decided"].category
    roads.name = "Дороги и мосты"
    roads.save()
    make_category("Вода", parent=world["cases"]["waiting"].suggested_category.parent)
    assert offered("category") == ["Дороги и мосты", "ЖКХ", "— Вода", "— Отопление"]
    agency = make_agency("Газовая служба")
    assert "Газовая служба" in offered("agency")
    agency.delete()
    assert "Газовая служба" not in offered("agency")
    make_territory("Новый район", parent=world["cases"]["decided"].territory.parent)
    assert "Новый район" in offered("territory")


def test_every_consumer_builds_the_one_filter(client, world, tmp_path, monkeypatch):
    """The queue, the API and the export construct CaseFilter (no second filter language)."""
    built: list[Any] = []
    original = case_filters.CaseFilter.__init__

    def spy(self: CaseFilter, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(case_filters.CaseFilter, "__init__", spy)
    _queue(client, world["moderator"], {})
    _api(client, world["moderator"], {})
    _export({}, tmp_path)
    assert len(built) == 3
    assert CaseViewSet.filterset_class is CaseFilter
    assert not hasattr(case_filters, "apply_filters")


def test_the_rows_are_named_from_the_kept_directory_and_follow_a_rename(client, world):
    """The queue's rows read their cases without joining the directory: the category (with its
    parent), territory and agency a row shows are named from the queue's directory kept in the
    process — a rename shows on the next page, and a directory row saved after the page read the
    directory (so not in it) is still named, read alone."""
    from otklik.cases import presenters
    from otklik.cases.filters import QueueDirectory

    client.force_login(world["moderator"])

    def row(key: str) -> dict[str, Any]:
        rows = client.get(reverse("cases:queue")).context["rows"]
        return next(r for r in rows if r["number"] == world["cases"][key].number)

    waiting = row("waiting")
    assert (waiting["category"]["name"], waiting["category"]["parent"]) == ("Отопление", "ЖКХ")
    assert waiting["category"]["suggested"] and waiting["territory"]["name"] == "Шумейка"
    assert waiting["agency"]["name"] == "Водоканал"
    decided = row("decided")
    assert decided["category"] == {"name": "Дороги", "parent": "", "suggested": False, "confidence": ""}
    assert (decided["territory"]["name"], decided["agency"]["name"]) == ("Балаковский район", "Минтранс")
    assert row("bare")["category"] is None
    heating = world["cases"]["waiting"].suggested_category
    heating.name = "Отопление и горячая вода"
    heating.save()
    assert row("waiting")["category"]["name"] == "Отопление и горячая вода"
    # a directory read before the case's category, territory and agency existed
    empty = QueueDirectory(offered={}, categories={}, territories={}, agencies={})
    case = Case.objects.get(pk=world["cases"]["decided"].pk)
    [shown] = presenters.queue_rows(
        [case], now=timezone.now(), user=world["moderator"], confirmable=set(), refused={}, directory=empty
    )
    assert (shown["category"]["name"], shown["territory"]["name"], shown["agency"]["name"]) == (
        "Дороги",
        "Балаковский район",
        "Минтранс",
    )


def test_a_row_built_in_python_escapes_what_residents_and_the_directory_wrote(client, world):
    """The queue's rows are markup filled in by the presenter, not the template: every text is
    escaped as the template would (a title, an address, a directory name), the safe parts kept."""
    case = world["cases"]["waiting"]
    Case.objects.filter(pk=case.pk).update(title='<b>"Яма"</b> & лужа', address="<i>ул. Мира</i>")
    agency = case.suggested_agency
    agency.name, agency.short_name = "Вода & <тепло>", ""
    agency.save()  # the directory kept in the process follows the save
    client.force_login(world["moderator"])
    html = client.get(reverse("cases:queue")).content.decode()
    row = html.split(f'data-case="{case.number}"')[1].split("</tr>")[0]
    assert "&lt;b&gt;&quot;Яма&quot;&lt;/b&gt; &amp; лужа" in row and "<b>" not in row
    assert '<div class="sub muted">&lt;i&gt;ул. Мира&lt;/i&gt;</div>' in row
    assert (
        '<span class="suggested" title="Предложено автоматической обработкой">Вода &amp; &lt;тепло&gt;</span>'
        in row
    )
    assert '<span class="badge st-moderation">' in row  # the status badge stays markup
