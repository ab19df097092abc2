"""The table `make bench` prints, and the targets of issue 16 checked against
the rows of the same run. Row names: `<language> passgate <in flight>`,
`<language> <plain pattern> 1`, `<language> peer <library> 1`, `wrk <n>
connection(s)`, `rust reqwest <in flight>`, `php-fpm <page>`.
"""

LANGUAGES = ("python", "node", "ruby", "php")


def find(rows, name):
    return next((row for row in rows if row.name == name), None)


def starting(rows, prefix):
    return [row for row in rows if row.name.startswith(prefix)]


def reference(rows, row):
    """The row this one is compared with in the table's ratio column."""
    parts = row.name.split()
    if row.name.startswith(("wrk", "php-fpm curl")):
        return None
    if row.name.startswith("php-fpm passgate"):
        return find(rows, row.name.replace("passgate", "curl per call"))
    in_flight = parts[-1]
    if in_flight == "1":
        return find(rows, "wrk 1 connection")
    return find(rows, f"rust reqwest {in_flight}") if row.name != f"rust reqwest {in_flight}" else find(
        rows, "wrk 64 connections")


def wire_ratio(rows, row):
    """The row's rate ÷ wrk's one-connection rate, measured just before the
    row's client ran when it was (else the run's first wrk row)."""
    if row.wire_rate:
        return row.rate / row.wire_rate
    wrk1 = find(rows, "wrk 1 connection")
    return row.rate / wrk1.rate if wrk1 else None


def table(rows) -> str:
    out = ["| row | validations/s | × reference | reference | CPU µs/validation | new connections |",
           "|---|---:|---:|---|---:|---:|"]
    for row in rows:
        ref = reference(rows, row)
        ratio = f"{row.rate / ref.rate:.2f}×" if ref else "–"
        if ref and ref.name == "wrk 1 connection" and row.wire_rate:
            ratio = f"{wire_ratio(rows, row):.2f}×"
        cpu = f"{row.cpu_us:.0f}" if row.cpu_us is not None else "–"
        conns = f"{row.connections:,}" if row.connections is not None else "–"
        out.append(f"| {row.name} | {row.rate:,.0f} | {ratio} | {ref.name if ref else '–'} | {cpu} | {conns} |")
    out.append("")
    out.append("Targets (issue 16):")
    out.extend(f"- {line}" for line in targets(rows))
    return "\n".join(out)


def check(label, value, wanted, op=">="):
    met = value >= wanted if op == ">=" else value <= wanted
    return f"{'met   ' if met else 'MISSED'} {label}: {value:.2f} (target {op} {wanted})"


def targets(rows):
    lines = []
    wrk1 = find(rows, "wrk 1 connection")
    reqwest64 = find(rows, "rust reqwest 64")
    for language in ("rust", *LANGUAGES):
        seq = find(rows, f"{language} passgate 1")
        if seq and wrk1:
            wanted = 0.85 if language == "rust" else 0.7
            lines.append(check(f"{language} sequential ÷ wrk 1 connection", wire_ratio(rows, seq), wanted))
        many = find(rows, f"{language} passgate 64")
        if many and reqwest64 and language != "rust":
            lines.append(check(f"{language} 64 in flight ÷ rust reqwest 64", many.rate / reqwest64.rate, 0.8))
        if many and many.cpu_us is not None and language != "rust":
            lines.append(check(f"{language} CPU µs per validation at 64 in flight", many.cpu_us, 25, "<="))
        if seq and language != "rust":
            plain = [row for row in starting(rows, f"{language} ") if row.name.endswith(" 1")
                     and " passgate " not in row.name and " peer " not in row.name and "per call" not in row.name]
            if plain:
                best = max(plain, key=lambda row: row.rate)
                lines.append(check(f"{language} sequential ÷ best plain pattern ({best.name})", seq.rate / best.rate,
                                   1.5))
            for peer in starting(rows, f"{language} peer "):
                lines.append(check(f"{language} sequential ÷ {peer.name}", seq.rate / peer.rate, 5))
    fpm = find(rows, "php-fpm passgate")
    fpm_curl = find(rows, "php-fpm curl per call")
    if fpm and fpm_curl:
        lines.append(check("php-fpm passgate ÷ curl per call, across requests", fpm.rate / fpm_curl.rate, 10))
    return lines
