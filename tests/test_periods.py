import pytest

from vawgbook.errors import InputError
from vawgbook.periods import Quarter, parse_financial_year


@pytest.mark.parametrize("text", ["2024/25 Q2", "2024-25 Q2", "2024-25-Q2", " 2024/25 q2 ", "2024/2025 Q2"])
def test_accepted_spellings_parse_to_one_canonical_form(text):
    quarter = Quarter.parse(text)
    assert quarter == Quarter(2024, 2)
    assert str(quarter) == "2024-25-Q2"
    assert quarter.label == "2024/25 Q2"


@pytest.mark.parametrize("text", ["2024-26-Q2", "2024-25-Q5", "2024 Q2", "Q2 2024/25", "", "2024-25-Q0"])
def test_malformed_periods_are_input_errors(text):
    with pytest.raises(InputError, match="not a financial quarter"):
        Quarter.parse(text)


def test_century_boundary():
    assert str(Quarter.parse("1999/00 Q4")) == "1999-00-Q4"
    assert Quarter.parse("1999/00 Q4") + 1 == Quarter(2000, 1)


def test_q1_is_april_to_june_and_q4_is_next_calendar_year():
    assert Quarter(2024, 1).months == "April to June 2024"
    assert Quarter(2024, 4).months == "January to March 2025"
    assert Quarter(2024, 2).year_ending == "year ending September 2024"
    assert Quarter(2024, 4).year_ending == "year ending March 2025"


def test_ordering_and_arithmetic_cross_financial_years():
    assert Quarter(2023, 4) < Quarter(2024, 1) < Quarter(2024, 2)
    assert Quarter(2024, 1) - 1 == Quarter(2023, 4)
    assert Quarter(2023, 4) + 2 == Quarter(2024, 2)
    assert Quarter.from_index(Quarter(2021, 3).index) == Quarter(2021, 3)
    assert sorted([Quarter(2024, 1), Quarter(2019, 4), Quarter(2022, 2)])[0] == Quarter(2019, 4)


def test_rolling_windows_across_a_financial_year_boundary():
    period = Quarter.parse("2024-25-Q1")
    assert [str(q) for q in period.window()] == ["2023-24-Q2", "2023-24-Q3", "2023-24-Q4", "2024-25-Q1"]
    assert [str(q) for q in period.previous_window()] == [
        "2022-23-Q2",
        "2022-23-Q3",
        "2022-23-Q4",
        "2023-24-Q1",
    ]


def test_financial_year_parser():
    assert parse_financial_year("2019/20") == 2019
    assert parse_financial_year("2019-20") == 2019
    assert parse_financial_year("2019/21") is None
    assert parse_financial_year("FY19") is None
