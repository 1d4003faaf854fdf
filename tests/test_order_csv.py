"""The layout of an import file, read without a server: which header and rows it takes,
and how the rejects file gives the rows back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from wholesale.client.order_csv import (
    LayoutError,
    OrderCsv,
    RejectsFile,
    UnreadableFile,
    detect_delimiter,
    listed,
    utf8_lines,
)

HEADER = "order_external_id,account_external_id,order_date,sku,quantity,unit_price"


def test_the_delimiter_is_the_one_that_finds_the_layout_in_the_header() -> None:
    assert detect_delimiter("order_external_id;sku;quantity\r\n") == ";"
    assert detect_delimiter("order_external_id\tsku\tquantity;pack\n") == "\t"
    assert detect_delimiter("order_external_id,sku,note;remark\n") == ","
    # None finds a column: the comma, so the header's error shows the line as it is.
    assert detect_delimiter("Bestellnummer;Artikel\n") == ","


def test_a_header_without_the_layout_says_what_is_missing_and_what_it_found() -> None:
    with pytest.raises(LayoutError) as refused:
        OrderCsv(io.StringIO("order_external_id,order_date,sku,sku,quantity,unit_price\n"))

    assert str(refused.value) == (
        "missing 1 column: account_external_id (or account_id); column sku appears twice; "
        "found 6 columns: order_external_id, order_date, sku, sku, quantity, unit_price"
    )


def test_columns_the_import_does_not_use_are_read_past_and_given_back_as_they_were(
    tmp_path: Path,
) -> None:
    """Two columns of one name keep a value each; rows may leave out trailing ignored
    columns but not a used one; a blank row is skipped; the old error column is replaced."""
    text = "\n".join(
        [
            "order_external_id;note;account_external_id;order_date;sku;quantity;unit_price;"
            "note;error;",
            "A;first;ERP-1;2026-01-05;S1;1;1.00;second;old reason;",
            "A;;ERP-1;2026-01-05;S2;2;2.00",
            ";;;;;;;;;",
            "B;x;ERP-1;2026-01-05;S1;1",
        ]
    )
    reader = OrderCsv(io.StringIO(text))

    whole, short = reader.orders()

    assert reader.header.ignored == ["note", "note", "(unnamed)"]
    assert whole.order is not None and [line.quantity for line in whole.order.lines] == [1, 2]
    assert short.errors == ["line 5: row: 6 fields but the header has 10 (unit_price missing)"]
    rejects = RejectsFile(tmp_path / "orders.rejected.csv", reader.header.keys, reader.delimiter)
    rejects.write(whole.rows, ["line 2: one", "line 3: two"], whole.lines)
    rejects.commit()
    assert rejects.path.read_text().splitlines() == [
        "order_external_id;note;account_external_id;order_date;sku;quantity;unit_price;note;;error",
        "A;first;ERP-1;2026-01-05;S1;1;1.00;second;;line 2: one",
        "A;;ERP-1;2026-01-05;S2;2;2.00;;;line 3: two",
    ]


def test_lines_end_by_crlf_lf_or_a_lone_cr_and_a_quote_left_open_is_told_by_its_line() -> None:
    exported = io.BytesIO(b"\xef\xbb\xbfA,B\r\n1,2\r3,4\n")
    assert list(utf8_lines(exported)) == ["A,B\r\n", "1,2\r", "3,4\n"]
    opened = f'{HEADER}\nA,ERP-1,2026-01-05,S1,1,1.00\nB,ERP-1,2026-01-05,S1,1,"1.00\n'
    reader = OrderCsv(io.StringIO(opened + "C,ERP-1,2026-01-05,S1,1,1.00\n" * 5000))

    with pytest.raises(UnreadableFile) as unreadable:
        list(reader.orders())

    assert str(unreadable.value) == (
        "line 3 cannot be read as CSV (field larger than field limit (131072)): "
        "is a quote left open?"
    )


@pytest.mark.parametrize(
    ("quantity", "unit_price", "errors"),
    [
        ("1e3", "1.00", "quantity: '1e3' is not a whole number"),
        ("+5", "1.00", "quantity: '+5' is not a whole number"),
        ("1_000", "1.00", "quantity: '1_000' is not a whole number"),
        ("12", "1e2", "unit_price: '1e2' is not a decimal amount such as 12.50"),
        ("12", "+1.50", "unit_price: '+1.50' is not a decimal amount such as 12.50"),
        ("12", "Infinity", "unit_price: 'Infinity' is not a decimal amount such as 12.50"),
    ],
)
def test_numbers_are_read_only_in_plain_decimal_notation(
    quantity: str, unit_price: str, errors: str
) -> None:
    reader = OrderCsv(io.StringIO(f"{HEADER}\nA,ERP-1,2026-01-05,S1,{quantity},{unit_price}\n"))

    (order,) = reader.orders()

    assert order.order is None and order.errors == [f"line 2: {errors}"]


def test_plain_numbers_and_the_spaces_around_a_cell_are_read() -> None:
    rows = "A,ERP-1,2026-01-05,S1, 5 ,1.50\nA,ERP-1,2026-01-05,S2,12.000,.5\n"
    reader = OrderCsv(io.StringIO(f"{HEADER}\n{rows}A,ERP-1,2026-01-05,S3,-1,-2.\n"))

    (order,) = reader.orders()

    assert order.order is not None
    prices = [(line.quantity, line.unit_price.units, line.unit_price.nanos) for line in
              order.order.lines]  # fmt: skip
    assert prices == [(5, 1, 500_000_000), (12, 0, 500_000_000), (-1, -2, 0)]


def test_a_quote_left_open_to_the_end_of_the_file_is_told_by_the_line_where_it_opened() -> None:
    rows = [
        "A,ERP-1,2026-01-05,S1,1,1.00",
        'B,ERP-1,2026-01-05,S1,1,"1.00',
        "C,ERP-1,2026-01-05,S1,1,1",
    ]
    reader = OrderCsv(io.StringIO("\n".join([HEADER, *rows]) + "\n"))

    with pytest.raises(UnreadableFile) as unreadable:
        list(reader.orders())

    assert str(unreadable.value) == (
        "line 3 cannot be read as CSV (a quoted field runs to the end of the file): "
        "is a quote left open?"
    )


def test_a_quoted_field_over_several_lines_is_read_as_one() -> None:
    text = f'{HEADER},note\nA,ERP-1,2026-01-05,S1,1,1.00,"two\nlines"\nB,ERP-1,2026-01-05,S1,1,1\n'

    first, second = OrderCsv(io.StringIO(text)).orders()

    assert first.rows[0]["note"] == "two\nlines" and (first.lines, second.lines) == ([3], [4])


def test_hostile_column_names_are_shown_escaped_shortened_and_a_few_of_them() -> None:
    wide = OrderCsv(io.StringIO(HEADER + "".join(f",x{n}" for n in range(10_000)) + "\n"))
    assert listed(wide.header.ignored) == "x0, x1, x2, x3, x4 and 9,995 more"

    with pytest.raises(LayoutError) as nul:
        OrderCsv(io.StringIO("\0" * 100 + "\n"))
    assert str(nul.value).endswith("found 1 column: " + "\\x00" * 9 + "\\x0…"), str(nul.value)

    with pytest.raises(LayoutError) as many:
        OrderCsv(io.StringIO(",".join(f"c{n}" for n in range(100)) + "\n"))
    assert str(many.value).endswith("found 100 columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, "
                                    "c9, c10, c11, c12, c13, c14 and 85 more")  # fmt: skip
