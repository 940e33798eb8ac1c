"""The inventory over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from kernel.actors import Role
from tests.support import inventory_world
from tests.support.inventory_world import World

world = inventory_world.world


def test_a_receipt_shows_up_in_stock_and_the_ledger(world: World) -> None:
    booking = world.receive("VAC-1", "L1", 10, "F-01")
    assert booking["kind"] == "receive"
    assert booking["lines"] == [{"lot_number": "L1", "expiry": "2099-12-31",
                                 "from_location": None, "to_location": "F-01", "quantity": 10}]
    assert booking["user"] == "operator1"
    assert world.on_hand(item="VAC-1") == 10
    world.assert_ledger_equals_balances()


def test_a_dispatch_picks_the_earliest_expiry_first_and_books_it(world: World) -> None:
    world.receive("VAC-1", "LATE", 5, "F-01", expiry="2099-01-01")
    world.receive("VAC-1", "SOON", 3, "F-02", expiry="2098-01-01")
    preview = world.ok(world.post("/moves/dispatch/preview", {"item": "VAC-1", "quantity": 4}))
    assert [(p["lot_number"], p["location_code"], p["quantity"]) for p in preview["lines"]] == [
        ("SOON", "F-02", 3), ("LATE", "F-01", 1)]
    assert world.on_hand(item="VAC-1") == 8  # the preview booked nothing
    booking = world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 4,
                                                      "reference": "ORDER-7"}))
    assert [(line["lot_number"], line["from_location"], line["quantity"])
            for line in booking["lines"]] == [("SOON", "F-02", 3), ("LATE", "F-01", 1)]
    assert world.on_hand(item="VAC-1") == 4
    world.assert_ledger_equals_balances()


def test_a_dispatch_beyond_the_stock_is_refused_as_insufficient_and_books_nothing(
    world: World,
) -> None:
    world.receive("GLOVE", "G1", 2, "R-01")
    refused = world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 3})
    assert refused.status_code == 409
    assert refused.json() == {"error": "insufficient_stock",
                              "detail": "only 2 of 3 each of GLOVE available to dispatch"}
    assert world.on_hand(item="GLOVE") == 2


def test_picking_another_lot_than_suggested_needs_a_reason_which_is_recorded(
    world: World,
) -> None:
    world.receive("VAC-1", "FIRST", 5, "F-01", expiry="2098-01-01")
    world.receive("VAC-1", "OTHER", 5, "F-01", expiry="2099-01-01")
    body = {"item": "VAC-1", "quantity": 1, "lot_number": "OTHER"}
    refused = world.post("/moves/dispatch", body)
    assert refused.status_code == 422
    assert refused.json()["error"] == "reason_required"
    assert "lot FIRST is next to pick" in refused.json()["detail"]
    booked = world.ok(world.post("/moves/dispatch", {**body, "reason": "customer asked for it"}))
    assert booked["lines"][0]["lot_number"] == "OTHER"
    moves = world.ok(world.get("/moves", item="VAC-1"))
    assert moves[-1]["reason"] == "customer asked for it"


def test_the_same_request_twice_with_one_idempotency_key_books_once(world: World) -> None:
    world.receive("GLOVE", "G1", 10, "R-01")
    body = {"item": "GLOVE", "quantity": 4}
    first = world.post("/moves/dispatch", body, key="retry-key-0001")
    again = world.post("/moves/dispatch", body, key="retry-key-0001")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert world.on_hand(item="GLOVE") == 6
    other = world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 5}, key="retry-key-0001")
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"
    assert world.on_hand(item="GLOVE") == 6


def test_a_booking_without_an_idempotency_key_is_refused(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[Role.OPERATOR]}"}
    response = world.client.post("/api/v1/moves/dispatch", json={"item": "GLOVE", "quantity": 1},
                                 headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "header.Idempotency-Key"


def test_without_a_token_the_api_answers_401_but_health_metrics_and_docs_answer(
    world: World,
) -> None:
    for path in ("/api/v1/stock", "/api/v1/items", "/api/v1/zones", "/api/v1/moves.csv"):
        response = world.client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "not_authenticated"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    bad = world.client.get("/api/v1/stock", headers={"Authorization": "Bearer sw_nonsense"})
    assert bad.status_code == 401
    for open_path in ("/health", "/metrics", "/docs", "/openapi.json"):
        assert world.client.get(open_path).status_code == 200, open_path


def test_an_operator_may_not_adjust_but_a_supervisor_may(world: World) -> None:
    world.receive("GLOVE", "G1", 10, "R-01")
    body = {"item": "GLOVE", "lot_number": "G1", "location": "R-01", "delta": -2,
            "reason": "two boxes torn"}
    refused = world.post("/moves/adjust", body, Role.OPERATOR)
    assert refused.status_code == 403
    assert refused.json()["error"] == "role_required"
    world.ok(world.post("/moves/adjust", body, Role.SUPERVISOR))
    assert world.on_hand(item="GLOVE") == 8


def test_an_operator_may_not_create_master_data(world: World) -> None:
    response = world.post("/zones", {"code": "Z9", "name": "annex"}, Role.OPERATOR)
    assert response.status_code == 403


def test_goods_are_refused_in_a_zone_of_the_wrong_storage_class(world: World) -> None:
    response = world.post("/moves/receive", {"item": "VAC-1", "lot_number": "L1",
                                             "quantity": 1, "location": "R-01"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "storage_class_mismatch",
        "detail": "VAC-1 (vaccine) must be stored at 2-8C, but zone ROOM is 15-25C"}
    hazardous = world.post("/moves/receive", {"item": "ETH-1", "lot_number": "E1",
                                              "quantity": 1, "location": "R-01"})
    assert hazardous.json()["error"] == "hazardous_zone_required"
    world.receive("ETH-1", "E1", 1, "H-01")


def test_expired_goods_are_not_received(world: World) -> None:
    response = world.post("/moves/receive", {"item": "GLOVE", "lot_number": "OLD",
                                             "expiry": "2020-01-31", "quantity": 1,
                                             "location": "R-01"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "expired_at_receipt",
        "detail": "lot OLD expired on 2020-01-31; expired goods are not received"}
    # The same refusal (once an f-string, now a template with values) in Chinese.
    chinese = world.client.post("/api/v1/moves/receive", json={
        "item": "GLOVE", "lot_number": "OLD", "expiry": "2020-01-31", "quantity": 1,
        "location": "R-01"}, headers={**world.headers(), "Accept-Language": "zh-CN"})
    assert chinese.status_code == 422
    assert chinese.json() == {"error": "expired_at_receipt",
                              "detail": "批次 OLD 已于 2020-01-31 过期；过期商品不予收货"}  # noqa: RUF001
    assert world.on_hand(item="GLOVE") == 0


def test_quarantined_receipts_are_dispatched_only_after_quality_releases_them(
    world: World,
) -> None:
    booking = world.receive("INS-1", "Q1", 5, "F-01")
    assert booking["lot_status"] == "quarantine"
    assert world.post("/moves/dispatch", {"item": "INS-1", "quantity": 1}).status_code == 409
    lot_id = world.ok(world.get("/lots", item="INS-1"))[0]["id"]
    release = {"status": "released", "reason": "certificate checked",
               "signature": world.sign("released")}
    assert world.post(f"/lots/{lot_id}/qc-status", release).status_code == 403
    status = world.ok(world.post(f"/lots/{lot_id}/qc-status", release, Role.SUPERVISOR))
    assert status["changed_by"] == "supervisor1"
    world.ok(world.post("/moves/dispatch", {"item": "INS-1", "quantity": 1}))


def test_a_return_is_held_in_its_bin_and_the_trace_tells_the_whole_story(
    world: World,
) -> None:
    world.receive("VAC-1", "T1", 10, "F-01")
    world.ok(world.post("/moves/transfer", {"item": "VAC-1", "lot_number": "T1",
                                            "from_location": "F-01", "to_location": "F-02",
                                            "quantity": 4}))
    world.ok(world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 6}))
    returned = world.ok(world.post("/moves/return", {
        "item": "VAC-1", "lot_number": "T1", "location": "F-01", "quantity": 1,
        "reason": "wrong delivery"}))
    assert returned["lot_status"] == "released"  # the returned unit is held, not the lot
    held = world.ok(world.get("/returns/pending"))
    assert [(r["location"], r["quantity"], r["reason"]) for r in held] == [
        ("F-01", 1, "wrong delivery")]
    lot_id = world.ok(world.get("/lots", item="VAC-1"))[0]["id"]
    trace = world.ok(world.get(f"/lots/{lot_id}/trace"))
    assert [m["kind"] for m in trace["moves"]] == ["receive", "transfer", "dispatch", "return"]
    where_now = {(w["location"], w["quantity"]) for w in trace["where_now"]}
    assert where_now == {("F-01", 1), ("F-02", 4)}
    assert trace["qc_history"] == []
    assert trace["lot"]["on_hand"] == 5
    world.assert_ledger_equals_balances()


def test_a_count_books_the_difference(world: World) -> None:
    world.receive("GLOVE", "G1", 10, "R-01")
    booking = world.ok(world.post("/moves/count", {"item": "GLOVE", "lot_number": "G1",
                                                   "location": "R-01", "counted": 7}))
    assert booking["lines"][0]["quantity"] == 3
    assert booking["lines"][0]["from_location"] == "R-01"
    assert world.on_hand(item="GLOVE") == 7


def test_the_ledger_exports_as_csv(world: World) -> None:
    world.receive("GLOVE", "G1", 10, "R-01")
    world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 2,
                                            "reference": "ORDER, with comma"}))
    response = world.client.get("/api/v1/moves.csv", headers=world.headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0].startswith("id,at,kind,booking,item,lot_number")
    assert len(lines) == 3
    assert '"ORDER, with comma"' in lines[2]


def test_an_item_can_be_found_by_its_gtin_and_a_bad_check_digit_is_refused(
    world: World,
) -> None:
    assert world.ok(world.get("/items/4006381333931"))["sku"] == "VAC-1"
    bad = world.post("/items", {"sku": "X", "name": "x", "gtin": "4006381333932"}, Role.ADMIN)
    assert bad.status_code == 422
    assert "check digit" in bad.json()["detail"][0]["problem"]


def test_unknown_things_are_named_in_a_404(world: World) -> None:
    response = world.post("/moves/receive", {"item": "NOPE", "lot_number": "L",
                                             "quantity": 1, "location": "F-01"})
    assert response.status_code == 404
    assert response.json() == {"error": "item_not_found",
                               "detail": "no item with SKU or GTIN NOPE"}


def test_a_user_made_by_the_admin_logs_in_with_a_password_and_is_recorded_on_moves(
    world: World,
) -> None:
    created = world.ok(world.post("/users", {"username": "pia", "role": "operator",
                                             "password": "correct horse battery",
                                             "full_name": "Pia Ek"}, Role.ADMIN))
    assert created["token"].startswith("sw_")
    wrong = world.client.post("/api/v1/auth/login",
                              json={"username": "pia", "password": "nope"})
    assert wrong.status_code == 401
    login = world.client.post("/api/v1/auth/login",
                              json={"username": "pia", "password": "correct horse battery"})
    assert login.status_code == 200
    token = login.json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "login-test-0001"}
    booking = world.client.post("/api/v1/moves/receive", headers=headers, json={
        "item": "GLOVE", "lot_number": "G1", "quantity": 1, "location": "R-01"})
    assert booking.json()["user"] == "pia"
    assert world.client.get("/api/v1/auth/me", headers=headers).json()["role"] == "operator"


def test_after_an_excursion_a_supervisor_puts_the_zones_released_lots_on_hold(
    world: World,
) -> None:
    world.receive("VAC-1", "COLD1", 5, "F-01")
    world.receive("VAC-1", "COLD2", 5, "F-02")
    world.receive("GLOVE", "WARM", 5, "R-01")
    reason = {"reason": "excursion to 14 °C for 3 h"}
    assert world.post("/zones/FRIDGE/hold-lots", reason).status_code == 403
    held = world.ok(world.post("/zones/FRIDGE/hold-lots", reason, Role.SUPERVISOR))
    assert sorted(h["lot_number"] for h in held) == ["COLD1", "COLD2"]
    refused = world.post("/moves/dispatch", {"item": "VAC-1", "quantity": 1})
    assert refused.json()["error"] == "insufficient_stock"
    world.ok(world.post("/moves/dispatch", {"item": "GLOVE", "quantity": 1}))
