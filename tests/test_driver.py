"""Queries run through the driver read and bind every value as SQLAlchemy would."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, select

from registry.extensions import db
from registry.reagents.model import Reagent
from registry.records.bulk import insert_rows
from registry.records.driver import DriverSelect
from registry.records.listing import stored_text
from registry.records.model import RecordEvent
from tests.builders import institution, post, reagent


def test_a_driver_select_reads_and_binds_as_sqlalchemy_does(app, client, keys):
    supplier = post(client, "/api/v1/institutions", institution(), keys["clerk"])["id"]
    for n, amount in enumerate(["12.50", "7.25", "99.00"]):
        body = reagent(supplier, price={"amount": amount, "currency": "BYN"})
        body["registration"] = {"number": f"ИМ-7.{n}", "valid_until": f"203{n}-01-31"}
        post(client, "/api/v1/reagents", body, keys["clerk"])
    stmt = (
        select(
            stored_text(Reagent.doc),
            Reagent.id,
            Reagent.price_amount,
            Reagent.updated_at,
            Reagent.registration_valid_until,
            case((Reagent.price_amount > Decimal("10"), True), else_=False),
        )
        .where(
            Reagent.updated_at > bindparam("since", type_=Reagent.updated_at.type),
            Reagent.price_amount < bindparam("below", type_=Reagent.price_amount.type),
            Reagent.registration_valid_until < date(2032, 1, 1),
        )
        .order_by(Reagent.price_amount)
    )
    params = {"since": datetime(2000, 1, 1), "below": Decimal("50")}
    with app.app_context():
        query = DriverSelect(stmt, db.engine.dialect)
        assert query.direct
        connection = db.session.connection()
        expected = [tuple(row) for row in connection.execute(stmt, params)]
        read = query.values(query.rows(connection, params))
    assert len(expected) == 2
    assert read == expected
    assert [type(value) for value in read[0][2:]] == [Decimal, datetime, date, bool]


def test_a_statement_whose_sql_follows_its_values_runs_through_sqlalchemy(app, client, keys):
    supplier = post(client, "/api/v1/institutions", institution(), keys["clerk"])["id"]
    made = [post(client, "/api/v1/reagents", reagent(supplier), keys["clerk"]) for _ in range(3)]
    wanted = [made[0]["id"], made[2]["id"]]
    stmt = select(Reagent.id, Reagent.updated_at).where(Reagent.id.in_(bindparam("ids")))
    with app.app_context():
        query = DriverSelect(stmt, db.engine.dialect)
        assert not query.direct  # an expanding IN
        rows = query.values(query.rows(db.session.connection(), {"ids": wanted}))
    assert sorted(row[0] for row in rows) == sorted(wanted)
    assert all(isinstance(row[1], datetime) for row in rows)


def test_rows_written_in_bulk_read_back_as_they_were_given(app):
    moment, later = datetime(2026, 1, 2, 3, 4, 5, 6), datetime(2026, 7, 8, 9, 10, 11, 12)
    ats = [moment, moment, later, datetime(2026, 1, 2, 3, 4, 5, 6), moment]  # shared, or not
    rows = [
        {
            "resource": "reagents",
            "record_id": f"00000000-0000-4000-8000-00000000000{n}",
            "version": n,
            "action": "created",
            "actor": "bulk",
            "at": at,
            "snapshot": {"n": n, "name": "Набор 试剂"},
        }
        for n, at in enumerate(ats)
    ]
    with app.app_context():
        connection = db.session.connection()
        insert_rows(connection, RecordEvent.__table__, rows)
        read = connection.execute(
            select(RecordEvent.version, RecordEvent.at, RecordEvent.snapshot)
            .where(RecordEvent.actor == "bulk")
            .order_by(RecordEvent.version)
        ).all()
    assert [tuple(row) for row in read] == [(r["version"], r["at"], r["snapshot"]) for r in rows]
