"""Queries run through the driver read and bind every value as SQLAlchemy would."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, select

from registry.extensions import db
from registry.reagents.model import Reagent
from registry.records.driver import DriverSelect
from registry.records.listing import stored_text
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
