"""``ivr seed --demo``: a realistic demo set of insured persons for the embedded default.

A handful of fixed persons (``DEMO_PERSONS``: the README lists them; tests and demos dial
with them) and a few hundred generated ones with Vietnamese and Chinese (Hoa) names. Household
health insurance is 4.5 % of the base salary (2,340,000 VND from 1 July 2024): 1,263,600 VND a
year, 105,300 a month. Deterministic for a given random seed; running it twice adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from ivr.accounts.money import to_minor
from ivr.accounts.pins import hash_pin
from ivr.core.db import Database
from ivr.core.models import Account, AccountTransaction, Person

MONTHLY = Decimal(105_300)  # VND: 4.5 % of 2,340,000


@dataclass(frozen=True)
class DemoPerson:
    insurance_number: str
    national_id: str
    name: str
    birth_date: date
    mobile: str  # "" when none is registered
    pin: str
    language: str
    balance: Decimal
    last_contribution_on: date | None
    last_contribution: Decimal | None
    coverage_until: date | None


DEMO_PERSONS = (
    DemoPerson("0123456789", "079187003456", "Nguyễn Thị Hồng", date(1987, 3, 5),
               "84912345678", "2468", "vi", Decimal(1_263_600), date(2026, 10, 15),
               MONTHLY * 3, date(2027, 6, 30)),
    DemoPerson("0234567891", "001085012345", "Trần Văn Minh", date(1985, 11, 20),
               "84987654321", "1357", "vi", Decimal(0), date(2025, 6, 10),
               MONTHLY * 12, date(2026, 6, 30)),  # coverage ended
    DemoPerson("0345678912", "079090001234", "黄文明 (Hoàng Văn Minh)", date(1990, 1, 12),
               "84933111222", "8080", "zh", Decimal(2_527_200), date(2026, 9, 1),
               MONTHLY * 6, date(2027, 12, 31)),
    DemoPerson("0456789123", "048092004567", "Lê Minh Anh", date(1992, 7, 28),
               "84977555666", "4321", "en", Decimal(631_800), date(2026, 11, 2),
               MONTHLY, date(2027, 3, 31)),
    DemoPerson("0567891234", "036075008899", "Phạm Thị Lan", date(1975, 2, 14),
               "", "9753", "vi", Decimal(315_900), None, None, date(2027, 1, 31)),
)  # fmt: skip

FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE_MEN = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành"]
MIDDLE_WOMEN = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ"]
GIVEN_MEN = "Anh Bình Cường Dũng Hải Hùng Khoa Long Nam Phúc Quân Sơn Tâm Thắng Trung Tuấn".split()
GIVEN_WOMEN = "Anh Chi Dung Hà Hạnh Hoa Hương Lan Linh Mai Nga Nhung Phương Thảo Trang Yến".split()
# Hoa (Chinese Vietnamese) names, in characters and in their Vietnamese reading
HOA = [
    ("黄", "Hoàng"), ("李", "Lý"), ("陈", "Trần"), ("林", "Lâm"), ("张", "Trương"),
    ("吴", "Ngô"), ("郑", "Trịnh"), ("何", "Hà"), ("梁", "Lương"), ("刘", "Lưu"),
]  # fmt: skip
HOA_GIVEN = [
    ("志明", "Chí Minh"), ("美玲", "Mỹ Linh"), ("国华", "Quốc Hoa"), ("秀英", "Tú Anh"),
    ("文辉", "Văn Huy"), ("丽华", "Lệ Hoa"), ("建国", "Kiến Quốc"), ("玉兰", "Ngọc Lan"),
]  # fmt: skip
MOBILE_PREFIXES = ["8490", "8491", "8493", "8496", "8497", "8498", "8432", "8470", "8481"]
PROVINCES = ["001", "079", "048", "031", "036", "092", "075", "056"]  # CCCD province codes


def _generated(rng: random.Random, today: date) -> DemoPerson:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    if rng.random() < 0.12:
        family, given = rng.choice(HOA), rng.choice(HOA_GIVEN)
        name, language = f"{family[0]}{given[0]} ({family[1]} {given[1]})", "zh"
    else:
        woman = rng.random() < 0.5
        middle = rng.choice(MIDDLE_WOMEN if woman else MIDDLE_MEN)
        given_name = rng.choice(GIVEN_WOMEN if woman else GIVEN_MEN)
        name, language = f"{rng.choice(FAMILY)} {middle} {given_name}", "vi"
    months_paid = rng.choice([0, 1, 3, 6, 6, 12, 12, 24])
    last = today - timedelta(days=rng.randrange(10, 400))
    century = "0" if born.year < 2000 else "2"  # CCCD: gender/century digit (men, simplified)
    serial = rng.randrange(10**6)
    return DemoPerson(
        insurance_number=f"{rng.randrange(10**9, 10**10):010d}",
        national_id=f"{rng.choice(PROVINCES)}{century}{born.year % 100:02d}{serial:06d}",
        name=name,
        birth_date=born,
        mobile=f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}",
        pin=f"{rng.randrange(10**4):04d}",
        language=language,
        balance=MONTHLY * months_paid,
        last_contribution_on=last,
        last_contribution=MONTHLY * rng.choice([1, 3, 6, 12]),
        coverage_until=last + timedelta(days=rng.choice([-30, 90, 180, 365, 730])),
    )


def _add(database: Database, person: DemoPerson, rng: random.Random) -> bool:
    """Store one person with their account and movements; False when already there."""
    with database.session() as session:
        taken = select(Person.id).where(
            (Person.insurance_number == person.insurance_number)
            | (Person.national_id == person.national_id)
        )
        if session.scalar(taken) is not None:
            return False
        row = Person(
            insurance_number=person.insurance_number,
            national_id=person.national_id,
            full_name=person.name,
            birth_date=person.birth_date,
            mobile=person.mobile,
            pin_hash=hash_pin(person.pin),
            language=person.language,
        )
        session.add(row)
        session.flush()
        account = Account(
            person_id=row.id,
            currency="VND",
            balance_minor=to_minor(person.balance, "VND"),
            last_contribution_on=person.last_contribution_on,
            last_contribution_minor=(
                None
                if person.last_contribution is None
                else to_minor(person.last_contribution, "VND")
            ),
            coverage_until=person.coverage_until,
        )
        session.add(account)
        session.flush()
        session.add_all(_movements(account.id, person, rng))
    return True


def _movements(account_id: int, person: DemoPerson, rng: random.Random) -> list[AccountTransaction]:
    if person.last_contribution_on is None or person.last_contribution is None:
        return []
    rows = []
    day, amount = person.last_contribution_on, person.last_contribution
    for _ in range(rng.randint(3, 8)):
        months = max(1, int(amount / MONTHLY))
        rows.append(
            AccountTransaction(
                account_id=account_id,
                posted_on=day,
                kind="contribution",
                amount_minor=to_minor(amount, "VND"),
                description=f"Đóng BHYT hộ gia đình {months} tháng",
            )
        )
        day -= timedelta(days=30 * months)
    return rows


def seed_demo(
    database: Database, count: int, random_seed: int = 2026, today: date | None = None
) -> tuple[int, int]:
    """Add the fixed demo persons and ``count`` generated ones. Returns (added, already there)."""
    rng = random.Random(random_seed)
    today = today or date(2026, 11, 1)  # fixed: the same seed gives the same data any day
    people = list(DEMO_PERSONS) + [_generated(rng, today) for _ in range(count)]
    added = sum(_add(database, person, rng) for person in people)
    return added, len(people) - added
