"""iptables: rules, chains and counters from `iptables-save -c`, on legacy and nft back ends.

`iptables-save -c` prints the same rule text on both back ends and on every version we
meet (CentOS 7's 1.4.21 to Debian's 1.8.9), while `iptables -L` changes between versions
(protocol names against numbers, `TO 65535` on string matches). So the live reader
parses the save format; `parse_iptables_list` reads `iptables -L -n -v -x` only for
cross-checks and for hosts without `iptables-save`.

Parsing is split so a poll stays cheap with thousands of rules: the rule text (without
counters) is parsed once into a `RuleSpec` and cached; each poll only reads counters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress, count
from operator import itemgetter, ne
from typing import Any

from vostui.text import clean_line

FAMILIES = ("ipv4", "ipv6")
DEFAULT_TABLES = ("filter", "raw", "mangle")
BUILTIN_CHAINS = frozenset(
    {"INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"},
)
TERMINAL_TARGETS = frozenset(
    {
        "ACCEPT",
        "DROP",
        "REJECT",
        "RETURN",
        "LOG",
        "NFLOG",
        "NFQUEUE",
        "QUEUE",
        "MARK",
        "CONNMARK",
        "CT",
        "NOTRACK",
        "TRACE",
        "DSCP",
        "TOS",
        "TCPMSS",
        "SNAT",
        "DNAT",
        "MASQUERADE",
        "REDIRECT",
        "AUDIT",
        "SET",
        "CLASSIFY",
        "TEE",
    }
)
PORT_OPTIONS = frozenset(
    {"--dport", "--sport", "--dports", "--sports", "--ports", "--destination-port", "--source-port"}
)


@dataclass(frozen=True, slots=True)
class Option:
    """One `--name value` of a match or target; `negated` when `!` stood before it."""

    name: str
    value: str = ""
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    """One `-m module` with its options (implicit protocol matches have module `udp` etc.)."""

    module: str
    options: tuple[Option, ...] = ()

    def get(self, name: str) -> Option | None:
        for option in self.options:
            if option.name == name:
                return option
        return None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """The parsed text of one rule, without counters: shared by every poll that sees it."""

    text: str  # as iptables-save prints it after `-A CHAIN`
    protocol: str = ""
    source: str = ""
    destination: str = ""
    in_interface: str = ""
    out_interface: str = ""
    fragment: str = ""
    matches: tuple[Match, ...] = ()
    target: str = ""  # "" when the rule only counts
    goto: bool = False  # `-g`: no return to this chain
    target_options: tuple[Option, ...] = ()
    comment: str = ""
    ports: tuple[tuple[int, int], ...] = ()  # every port range the rule names
    words: str = ""  # the rule in plain words
    counted: bool = True  # False for an nft rule without a `counter`: its 0s mean nothing

    def touches(self, ports: Iterable[int]) -> bool:
        return any(low <= port <= high for port in ports for low, high in self.ports)


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule with its counters and rates since the previous poll (None on the first)."""

    family: str
    table: str
    chain: str
    index: int  # 1-based, as `iptables -L --line-numbers` counts
    spec: RuleSpec
    packets: int
    bytes: int
    packets_per_second: float | None = None
    bytes_per_second: float | None = None
    sip: bool = False  # names one of the configured SIP ports

    @property
    def target(self) -> str:
        return self.spec.target

    @property
    def words(self) -> str:
        return self.spec.words

    @property
    def text(self) -> str:
        return self.spec.text

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        return (self.family, self.table, self.chain, self.index, self.spec.text)


@dataclass(frozen=True, slots=True)
class Chain:
    """A chain: policy is `ACCEPT`/`DROP` for built-in chains, "" for custom chains."""

    family: str
    table: str
    name: str
    policy: str
    packets: int
    bytes: int
    rules: tuple[Rule, ...] = ()
    # Every jump into this custom chain comes from a rule on a SIP port (or from a
    # chain that is itself reached that way): its rules guard SIP even without ports.
    sip_path: bool = False

    @property
    def builtin(self) -> bool:
        return self.policy != ""


@dataclass(frozen=True, slots=True)
class ChainNode:
    """A chain in the jump tree; `via` is the index of the rule in the parent that jumps here."""

    chain: Chain
    depth: int
    via: int | None = None
    children: tuple[ChainNode, ...] = ()
    loop: bool = False  # already shown higher up this branch: not expanded again


@dataclass(frozen=True, slots=True)
class Table:
    family: str
    name: str
    chains: tuple[Chain, ...] = ()

    def chain(self, name: str) -> Chain | None:
        for chain in self.chains:
            if chain.name == name:
                return chain
        return None

    def tree(self) -> tuple[ChainNode, ...]:
        """Built-in chains as roots, each custom chain under the rule that jumps to it.

        A custom chain that nothing jumps to is listed as a root of its own, so a
        forgotten chain is still visible.
        """
        by_name = {chain.name: chain for chain in self.chains}
        referenced: set[str] = set()
        for chain in self.chains:
            for rule in chain.rules:
                if rule.target in by_name and rule.target != chain.name:
                    referenced.add(rule.target)

        def build(chain: Chain, depth: int, via: int | None, path: frozenset[str]) -> ChainNode:
            if chain.name in path or depth > 16:
                return ChainNode(chain, depth, via, (), loop=True)
            inner = path | {chain.name}
            children = tuple(
                build(by_name[rule.target], depth + 1, rule.index, inner)
                for rule in chain.rules
                if rule.target in by_name
            )
            return ChainNode(chain, depth, via, children)

        roots = [c for c in self.chains if c.builtin or c.name not in referenced]
        return tuple(build(chain, 0, None, frozenset()) for chain in roots)


@dataclass(frozen=True, slots=True)
class FirewallSnapshot:
    """iptables (or nft) rules and counters at one poll.

    `problem`/`fix` say why nothing could be read (not installed, not root, lock held);
    `warnings` list partial failures (IPv6 unreadable while IPv4 worked).
    """

    at: float  # wall-clock time of the poll
    backend: str = ""  # "nft", "legacy", "nftables" (native nft, no iptables)
    version: str = ""
    source: str = ""  # "iptables-save", "iptables -L", "nft"
    tables: tuple[Table, ...] = ()
    problem: str = ""
    fix: str = ""
    warnings: tuple[str, ...] = ()
    interval: float | None = None  # seconds since the previous poll the rates cover

    @property
    def ok(self) -> bool:
        return not self.problem

    def table(self, name: str, family: str = "ipv4") -> Table | None:
        for table in self.tables:
            if table.name == name and table.family == family:
                return table
        return None

    def rules(self) -> Iterable[Rule]:
        for table in self.tables:
            for chain in table.chains:
                yield from chain.rules

    def sip_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules() if rule.sip)


# --- version and back end -------------------------------------------------------------

_VERSION = re.compile(r"v(\d+(?:\.\d+)+)(?:\s*\(([^)]+)\))?")


def parse_iptables_version(text: str) -> tuple[str, str]:
    """`iptables -V` → (version, back end): ("1.8.9", "nft"), ("1.4.21", "legacy")."""
    match = _VERSION.search(text)
    if not match:
        return ("", "")
    version, mode = match.group(1), (match.group(2) or "").strip()
    if "nf_tables" in mode:
        return (version, "nft")
    # 1.4.x and 1.6.x have no mode in parentheses: legacy is the only back end they know.
    return (version, "legacy")


# --- iptables-save -c -------------------------------------------------------------------


def split_args(text: str) -> tuple[list[str], set[int]]:
    """Split a rule line like iptables-save quotes it; also return which tokens were quoted.

    iptables-save wraps values with spaces or quotes in double quotes and escapes `"` and
    `\\` inside them with a backslash.
    """
    if '"' not in text:
        return text.split(), set()
    tokens: list[str] = []
    quoted: set[int] = set()
    current: list[str] = []
    in_quotes = False
    was_quoted = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == "\\" and i + 1 < n:
                current.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_quotes = False
            else:
                current.append(ch)
        elif ch == '"':
            in_quotes = True
            was_quoted = True
        elif ch in " \t":
            if current or was_quoted:
                if was_quoted:
                    quoted.add(len(tokens))
                tokens.append("".join(current))
                current, was_quoted = [], False
        else:
            current.append(ch)
        i += 1
    if current or was_quoted:
        if was_quoted:
            quoted.add(len(tokens))
        tokens.append("".join(current))
    return tokens, quoted


_SHORT = {
    "-p": "protocol",
    "--protocol": "protocol",
    "-s": "source",
    "--source": "source",
    "--src": "source",
    "-d": "destination",
    "--destination": "destination",
    "--dst": "destination",
    "-i": "in_interface",
    "--in-interface": "in_interface",
    "-o": "out_interface",
    "--out-interface": "out_interface",
}


def parse_rule_spec(text: str) -> RuleSpec:
    """Parse the part of a rule after `-A CHAIN` (never raises: unknown text stays verbatim)."""
    tokens, quoted = split_args(text)
    basics: dict[str, str] = {}
    matches: list[Match] = []
    current_module: str | None = None
    current_options: list[Option] = []
    target = ""
    goto = False
    target_options: list[Option] = []
    in_target = False
    negate = False
    i, n = 0, len(tokens)

    def flush() -> None:
        nonlocal current_module, current_options
        if current_module is not None:
            matches.append(Match(current_module, tuple(current_options)))
        current_module, current_options = None, []

    while i < n:
        token = tokens[i]
        if token == "!" and i not in quoted:
            negate = True
            i += 1
            continue
        if token in _SHORT and not in_target:
            value = tokens[i + 1] if i + 1 < n else ""
            basics[_SHORT[token]] = ("! " if negate else "") + value
            negate = False
            i += 2
            continue
        if token in ("-f", "--fragment") and not in_target:
            basics["fragment"] = "! fragment" if negate else "fragment"
            negate = False
            i += 1
            continue
        if token in ("-m", "--match") and not in_target:
            flush()
            current_module = tokens[i + 1] if i + 1 < n else ""
            i += 2
            continue
        if token in ("-j", "--jump", "-g", "--goto"):
            flush()
            target = tokens[i + 1] if i + 1 < n else ""
            goto = token in ("-g", "--goto")
            in_target = True
            i += 2
            continue
        if token.startswith("-") and i not in quoted:
            values: list[str] = []
            j = i + 1
            while j < n and (j in quoted or (not tokens[j].startswith("-") and tokens[j] != "!")):
                values.append(tokens[j])
                j += 1
            option = Option(token, " ".join(values), negate)
            negate = False
            if in_target:
                target_options.append(option)
            else:
                if current_module is None:
                    # An option before any -m belongs to the protocol's implicit match
                    # (`-p udp --dport 5060` without `-m udp`).
                    current_module = basics.get("protocol", "").lstrip("! ") or "?"
                current_options.append(option)
            i = j
            continue
        # A stray word: keep it so nothing is silently lost.
        if in_target:
            target_options.append(Option(token))
        else:
            current_options.append(Option(token))
        i += 1
    flush()

    comment = ""
    ports: list[tuple[int, int]] = []
    for match in matches:
        for option in match.options:
            if match.module == "comment" and option.name == "--comment":
                comment = option.value
            elif option.name in PORT_OPTIONS and not option.negated:
                ports.extend(parse_ports(option.value))
    spec = RuleSpec(
        text=text,
        protocol=basics.get("protocol", ""),
        source=basics.get("source", ""),
        destination=basics.get("destination", ""),
        in_interface=basics.get("in_interface", ""),
        out_interface=basics.get("out_interface", ""),
        fragment=basics.get("fragment", ""),
        matches=tuple(matches),
        target=target,
        goto=goto,
        target_options=tuple(target_options),
        comment=comment,
        ports=tuple(ports),
    )
    return _with_words(spec)


def parse_ports(value: str) -> list[tuple[int, int]]:
    """`5060`, `5060:5070`, `5060,5061,10000:20000` → port ranges (bad parts skipped)."""
    ranges: list[tuple[int, int]] = []
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        low, _, high = part.partition(":")
        try:
            start = int(low) if low else 0
            end = int(high) if high else (65535 if _ else start)
        except ValueError:
            continue
        ranges.append((min(start, end), max(start, end)))
    return ranges


@dataclass(frozen=True, slots=True)
class SavedChain:
    name: str
    policy: str
    packets: int
    bytes: int
    rules: tuple[tuple[int, int, RuleSpec], ...]


@dataclass(frozen=True, slots=True)
class SavedTable:
    """One table as iptables-save prints it (counters, no rates): the parser's output."""

    family: str
    name: str
    chains: tuple[SavedChain, ...]


@dataclass(frozen=True, slots=True)
class Reading:
    """One read of a rule set: its shape and its counters, kept apart.

    `tables` is the parsed shape; a reader hands back the very same objects while the
    rules are unchanged, so the next stage can tell "same rules" by identity alone.
    Counters inside `tables` are those of the read that parsed them: the current ones
    are `rules` (one (packets, bytes) per rule, table by table, chain by chain) and
    `heads` (one per chain: the policy counter). Values are ints, or the digit strings
    iptables-save printed (turned into ints only for the few that changed).
    """

    tables: tuple[SavedTable, ...]
    rules: tuple[tuple[int | str, int | str], ...]
    heads: tuple[tuple[int | str, int | str], ...]


_ZERO = ("0", "0")


def picker(indices: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A C-speed `lambda values: tuple(values[i] for i in indices)`."""
    if not indices:
        return lambda values: ()
    if len(indices) == 1:
        only = indices[0]
        return lambda values: (values[only],)
    return itemgetter(*indices)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a parsed text looks like once its counters are taken out."""

    skeleton: str
    wanted: frozenset[str] | None
    tables: tuple[SavedTable, ...]
    count: int  # how many counters the text holds
    rules: Callable[[Sequence[Any]], tuple[Any, ...]]  # counters in text order → rule order
    heads: Callable[[Sequence[Any]], tuple[Any, ...]]  # … → chain order


@dataclass
class SaveParser:
    """Parses `iptables-save -c`; keeps a cache of rule texts so the next poll is cheap."""

    cache: dict[str, RuleSpec] = field(default_factory=dict)
    max_cache: int = 50_000
    _last: dict[str, _Shape] = field(default_factory=dict)  # family → last shape

    def read(self, text: str, family: str = "ipv4", tables: Iterable[str] | None = None) -> Reading:
        """Read the text; when only counters changed since the last call (the usual
        case), keep the parsed rules and pick just the numbers out of the text."""
        wanted = None if tables is None else frozenset(tables)
        skeleton = _strip_counters(text)
        last = self._last.get(family)
        if last is not None and last.skeleton == skeleton and last.wanted == wanted:
            numbers = _numbers(text)
            if len(numbers) == last.count:
                numbers.append(_ZERO)
                return Reading(last.tables, last.rules(numbers), last.heads(numbers))
        parsed = self._parse(text, family, wanted)
        shape = _shape(text, skeleton, wanted, parsed)
        self._last[family] = shape
        numbers = _numbers(text)
        numbers.append(_ZERO)
        return Reading(parsed, shape.rules(numbers), shape.heads(numbers))

    def parse(
        self, text: str, family: str = "ipv4", tables: Iterable[str] | None = None
    ) -> tuple[SavedTable, ...]:
        """The tables with this text's counters in them."""
        return filled(self.read(text, family, tables))

    def _parse(
        self, text: str, family: str, wanted: frozenset[str] | None
    ) -> tuple[SavedTable, ...]:
        cache = self.cache
        out: list[SavedTable] = []
        table_name: str | None = None
        skipping = False
        order: list[str] = []
        heads: dict[str, tuple[str, int, int]] = {}
        rules: dict[str, list[tuple[int, int, RuleSpec]]] = {}
        seen: set[str] = set()

        def finish() -> None:
            if table_name is None or skipping:
                return
            chains = tuple(
                SavedChain(name, *heads[name], tuple(rules.get(name, ()))) for name in order
            )
            out.append(SavedTable(family, table_name, chains))

        # Lines end at "\n" only, as `_numbers` and `_shape` see them: splitlines() also
        # breaks at the control characters a rule comment may hold (\x1c, \x85, ...).
        for raw in text.split("\n"):
            line = raw.strip()
            if not line or line[0] == "#":
                continue
            first = line[0]
            if first == "*":
                finish()
                table_name = line[1:].strip()
                skipping = wanted is not None and table_name not in wanted
                order, heads, rules = [], {}, {}
                continue
            if skipping or table_name is None:
                continue
            if first == ":":
                # :INPUT ACCEPT [12:345]   or   :SIP_TRUSTED - [0:0]
                parts = line[1:].split()
                if not parts:
                    continue
                name = parts[0]
                policy = parts[1] if len(parts) > 1 else "-"
                packets, nbytes = _counters(parts[2] if len(parts) > 2 else "")
                order.append(name)
                heads[name] = ("" if policy == "-" else policy, packets, nbytes)
                continue
            if line == "COMMIT":
                finish()
                table_name = None
                continue
            packets = nbytes = 0
            if first == "[":
                close = line.find("]")
                packets, nbytes = _counters(line[: close + 1])
                line = line[close + 1 :].lstrip()
            if not line.startswith("-A "):
                continue
            rest = line[3:]
            chain, _, body = rest.partition(" ")
            spec = cache.get(body)
            if spec is None:
                if len(cache) >= self.max_cache:
                    cache.clear()
                spec = parse_rule_spec(body)
                cache[body] = spec
            seen.add(body)
            if chain not in heads:
                order.append(chain)
                heads[chain] = ("", 0, 0)
            rules.setdefault(chain, []).append((packets, nbytes, spec))
        finish()
        return tuple(out)


# Counters only where iptables-save puts them: at the start of a rule line, or at the end
# of a chain line (`:INPUT ACCEPT [1:2]`), never inside a quoted comment.
_COUNTERS = re.compile(r"^(?::[^\n\[]* )?\[(\d+):(\d+)\]", re.M)
# The same places found over a whole text with "\n" before it: a literal "\n" lets the
# regex engine skip ahead, where `^` with re.M tries every position (4x slower). The rule
# lines' counters go in a replacement that runs in C; a Python callback per rule line
# cost more than reading the numbers.
_LINE_COUNTERS = re.compile(r"\n(?::[^\n\[]* )?\[(\d+):(\d+)\]")
_RULE_COUNTERS = re.compile(r"\n\[\d+:\d+\]")
_CHAIN_COUNTERS = re.compile(r"\n(:[^\n\[]* )\[\d+:\d+\]")
_COMMENT = re.compile(r"\n#[^\n]*")


def _numbers(text: str) -> list[tuple[str, str]]:
    """Every counter of the text, in order."""
    return _LINE_COUNTERS.findall("\n" + text)


def _strip_counters(text: str) -> str:
    """The text without its counters and comments (the dates change every read)."""
    text = _RULE_COUNTERS.sub("\n", "\n" + text)
    return _COMMENT.sub("\n", _CHAIN_COUNTERS.sub(_keep_head, text))


def _keep_head(match: re.Match[str]) -> str:
    return "\n" + match.group(1)


def _shape(
    text: str, skeleton: str, wanted: frozenset[str] | None, tables: tuple[SavedTable, ...]
) -> _Shape:
    """Where each counter of the text belongs in `tables`."""
    chain_index = [{c.name: j for j, c in enumerate(t.chains)} for t in tables]
    seen_tables = 0  # `_parse` makes one table per wanted `*name` line, in text order
    seen_rules: list[dict[str, int]] = [{} for _ in tables]
    rule_at: dict[tuple[int, int, int], int] = {}
    head_at: dict[tuple[int, int], int] = {}
    count = 0
    ti: int | None = None
    # The same lines `_parse` reads, a counter where `_numbers` finds one: the Nth
    # counter counted here must be the Nth number, or every later rule shows another's.
    for raw in text.split("\n"):
        line = raw.strip()
        if line.startswith("*"):
            name = line[1:].strip()
            ti = None
            if (wanted is None or name in wanted) and seen_tables < len(tables):
                ti = seen_tables
                seen_tables += 1
            continue
        if not _COUNTERS.match(raw):
            continue
        count += 1
        if ti is None:
            continue
        if line.startswith(":"):
            ci = chain_index[ti].get(line[1:].split()[0])
            if ci is not None:
                head_at[(ti, ci)] = count - 1
            continue
        rest = line[line.find("]") + 1 :].lstrip()
        chain = rest[3:].partition(" ")[0] if rest.startswith("-A ") else ""
        if chain not in chain_index[ti]:
            continue
        n = seen_rules[ti].get(chain, 0)
        seen_rules[ti][chain] = n + 1
        rule_at[(ti, chain_index[ti][chain], n)] = count - 1
    # Counters the text lacks (a rule printed without `-c`, a chain named only by
    # its rules) read as the zero appended after the text's own counters.
    rules = [
        rule_at.get((ti, ci, ri), count)
        for ti, t in enumerate(tables)
        for ci, c in enumerate(t.chains)
        for ri in range(len(c.rules))
    ]
    heads = [
        head_at.get((ti, ci), count) for ti, t in enumerate(tables) for ci in range(len(t.chains))
    ]
    return _Shape(skeleton, wanted, tables, count, picker(rules), picker(heads))


def counters_of(tables: Iterable[SavedTable]) -> Reading:
    """A Reading of tables that carry their own counters (`iptables -L`, nft JSON)."""
    tables = tuple(tables)
    rules = tuple((p, b) for t in tables for c in t.chains for p, b, _ in c.rules)
    heads = tuple((c.packets, c.bytes) for t in tables for c in t.chains)
    return Reading(tables, rules, heads)


def filled(reading: Reading) -> tuple[SavedTable, ...]:
    """The reading's tables with its counters put in."""
    rules = iter(reading.rules)
    heads = iter(reading.heads)
    out = []
    for t in reading.tables:
        chains = []
        for c in t.chains:
            hp, hb = next(heads)
            chains.append(
                SavedChain(
                    c.name,
                    c.policy,
                    int(hp),
                    int(hb),
                    # c.rules first: zip stops on it before taking the next chain's counter.
                    tuple(
                        (int(p), int(b), spec)
                        for (_, _, spec), (p, b) in zip(c.rules, rules, strict=False)
                    ),
                )
            )
        out.append(SavedTable(t.family, t.name, tuple(chains)))
    return tuple(out)


def _counters(text: str) -> tuple[int, int]:
    text = text.strip().strip("[]")
    packets, _, nbytes = text.partition(":")
    try:
        return int(packets), int(nbytes)
    except ValueError:
        return 0, 0


def parse_iptables_save(
    text: str, family: str = "ipv4", tables: Iterable[str] | None = None
) -> tuple[SavedTable, ...]:
    """Parse `iptables-save -c` (or `ip6tables-save -c`) text into tables, chains and rules."""
    return SaveParser().parse(text, family, tables)


def build_tables(
    saved: Iterable[SavedTable],
    rates: Mapping[tuple[str, str, str, int, str], float | None] | None = None,
    byte_rates: Mapping[tuple[str, str, str, int, str], float | None] | None = None,
    sip_ports: Iterable[int] = (),
    previous: dict[tuple[str, str, str, int, str], Rule] | None = None,
) -> tuple[Table, ...]:
    """Turn parsed tables into snapshot tables, with rates and SIP flags.

    `previous` (filled in place) lets an idle rule keep last poll's Rule object: with
    thousands of rules, most of them idle, that is most of the cost of a poll.
    """
    ports = tuple(sip_ports)
    cache = previous if previous is not None else {}
    seen: set[tuple[str, str, str, int, str]] = set()
    rates = rates or {}
    byte_rates = byte_rates or {}
    tables: list[Table] = []
    for table in saved:
        chains: list[Chain] = []
        for chain in table.chains:
            built: list[Rule] = []
            for index, (packets, nbytes, spec) in enumerate(chain.rules, start=1):
                key = (table.family, table.name, chain.name, index, spec.text)
                rate, byte_rate = rates.get(key), byte_rates.get(key)
                old = cache.get(key)
                if (
                    old is not None
                    and old.packets == packets
                    and old.bytes == nbytes
                    and old.packets_per_second == rate
                    and old.bytes_per_second == byte_rate
                ):
                    built.append(old)
                else:
                    rule = Rule(
                        table.family,
                        table.name,
                        chain.name,
                        index,
                        spec,
                        packets,
                        nbytes,
                        rate,
                        byte_rate,
                        spec.touches(ports) if spec.ports else False,
                    )
                    cache[key] = rule
                    built.append(rule)
                seen.add(key)
            chains.append(
                Chain(
                    table.family,
                    table.name,
                    chain.name,
                    chain.policy,
                    chain.packets,
                    chain.bytes,
                    tuple(built),
                )
            )
        tables.append(Table(table.family, table.name, _mark_sip_paths(chains)))
    if previous is not None and len(previous) > len(seen):
        for key in [k for k in previous if k not in seen]:
            del previous[key]
    return tuple(tables)


def _mark_sip_paths(chains: list[Chain]) -> tuple[Chain, ...]:
    """Flag custom chains that are only ever entered from SIP-port rules."""
    sip = _sip_path_names(
        (chain.name, chain.builtin, ((rule.target, rule.sip) for rule in chain.rules))
        for chain in chains
    )
    if not sip:
        return tuple(chains)
    return tuple(replace(chain, sip_path=True) if chain.name in sip else chain for chain in chains)


def _sip_path_names(chains: Iterable[tuple[str, bool, Iterable[tuple[str, bool]]]]) -> set[str]:
    """Names of the custom chains every jump into comes from a SIP rule or a SIP chain;
    `chains` gives (name, built in, (target, sip) of each rule)."""
    listed = [(name, builtin, tuple(rules)) for name, builtin, rules in chains]
    builtin = {name: flag for name, flag, _ in listed}
    callers: dict[str, list[tuple[str, bool]]] = {}
    for name, _, rules in listed:
        for target, flag in rules:
            if target in builtin and not builtin[target]:
                callers.setdefault(target, []).append((name, flag))
    sip: set[str] = set()
    changed = True
    while changed:  # a fixed point: chains nest a few levels at most
        changed = False
        for name, calls in callers.items():
            if name not in sip and all(flag or caller in sip for caller, flag in calls):
                sip.add(name)
                changed = True
    return sip


class RuleBook:
    """Turns successive Readings into snapshot tables with rates, at a cost that follows
    what changed rather than the size of the rule set.

    It gives what `build_tables` gives with a RateTracker for packets and one for bytes
    (rates None on the first sight of a rule, after a counter went down or when no time
    passed), but while the shape is the same objects as last time it only looks at the
    rules whose counters moved or whose rate was not yet 0: on a softswitch most of the
    thousands of rules are idle, and their Rule, Chain and Table objects are kept.
    """

    def __init__(self, sip_ports: Iterable[int] = ()) -> None:
        self.sip_ports = tuple(sip_ports)
        self._at: float | None = None
        self._shape: tuple[SavedTable, ...] = ()
        self._items: tuple[tuple[int | str, int | str], ...] = ()
        self._head_items: tuple[tuple[int | str, int | str], ...] = ()
        self._values: list[tuple[int, int]] = []  # per rule, as ints
        self._built: list[Rule] = []  # per rule
        self._unsettled: set[int] = set()  # rules whose last rates were not both 0.0
        self._keys: list[tuple[str, str, str, int, str]] = []
        self._sip: list[bool] = []
        self._chain_of: list[int] = []  # rule → chain (flat index over all tables)
        self._spans: list[tuple[int, int]] = []  # chain → its rules [start, end)
        self._table_of: list[int] = []  # chain → table
        self._sip_path: list[bool] = []
        self._heads: list[tuple[int, int]] = []
        self._chains: list[Chain] = []
        self._tables: list[Table] = []

    @property
    def last_update(self) -> float | None:
        return self._at

    def update(self, reading: Reading, now: float) -> tuple[tuple[Table, ...], float | None]:
        """The tables for this reading taken at `now` (monotonic seconds), and the
        seconds since the previous update (None on the first)."""
        elapsed = None if self._at is None else now - self._at
        same = len(reading.tables) == len(self._shape) and all(
            a is b for a, b in zip(reading.tables, self._shape, strict=True)
        )
        if (
            same
            and elapsed is not None
            and elapsed > 0
            and len(reading.rules) == len(self._items)
            and len(reading.heads) == len(self._head_items)
        ):
            self._update_counters(reading, elapsed)
        else:
            self._rebuild(reading, elapsed)
        self._at = now
        return tuple(self._tables), elapsed

    def _update_counters(self, reading: Reading, elapsed: float) -> None:
        items, old = reading.rules, self._items
        moved = set() if items == old else set(compress(count(), map(ne, items, old)))
        dirty: set[int] = set()
        values, built, unsettled = self._values, self._built, self._unsettled
        for i in moved | unsettled:
            p, b = items[i]
            packets, nbytes = int(p), int(b)
            before_p, before_b = values[i]
            rate = None if packets < before_p else (packets - before_p) / elapsed
            byte_rate = None if nbytes < before_b else (nbytes - before_b) / elapsed
            values[i] = (packets, nbytes)
            if rate == 0.0 and byte_rate == 0.0:
                unsettled.discard(i)
            else:
                unsettled.add(i)
            rule = built[i]
            if (
                rule.packets != packets
                or rule.bytes != nbytes
                or rule.packets_per_second != rate
                or rule.bytes_per_second != byte_rate
            ):
                built[i] = Rule(
                    rule.family,
                    rule.table,
                    rule.chain,
                    rule.index,
                    rule.spec,
                    packets,
                    nbytes,
                    rate,
                    byte_rate,
                    rule.sip,
                )
                dirty.add(self._chain_of[i])
        self._items = items
        if reading.heads != self._head_items:
            for ci, (item, before) in enumerate(zip(reading.heads, self._head_items, strict=True)):
                if item != before:
                    value = (int(item[0]), int(item[1]))
                    if value != self._heads[ci]:
                        self._heads[ci] = value
                        dirty.add(ci)
            self._head_items = reading.heads
        if not dirty:
            return
        chains = self._chains
        for ci in dirty:
            old_chain = chains[ci]
            start, end = self._spans[ci]
            chains[ci] = Chain(
                old_chain.family,
                old_chain.table,
                old_chain.name,
                old_chain.policy,
                *self._heads[ci],
                tuple(built[start:end]),
                old_chain.sip_path,
            )
        for ti in {self._table_of[ci] for ci in dirty}:
            table = self._tables[ti]
            self._tables[ti] = Table(
                table.family,
                table.name,
                tuple(chains[ci] for ci, owner in enumerate(self._table_of) if owner == ti),
            )

    def _rebuild(self, reading: Reading, elapsed: float | None) -> None:
        rules = sum(len(c.rules) for t in reading.tables for c in t.chains)
        chains_count = sum(len(t.chains) for t in reading.tables)
        if len(reading.rules) != rules or len(reading.heads) != chains_count:
            raise ValueError("a reading's counters do not fit its tables")
        before = dict(zip(self._keys, self._values, strict=True))
        ports = self.sip_ports
        keys: list[tuple[str, str, str, int, str]] = []
        values: list[tuple[int, int]] = []
        built: list[Rule] = []
        sip: list[bool] = []
        chain_of: list[int] = []
        spans: list[tuple[int, int]] = []
        table_of: list[int] = []
        sip_path: list[bool] = []
        heads: list[tuple[int, int]] = []
        chains: list[Chain] = []
        tables: list[Table] = []
        unsettled: set[int] = set()
        items = iter(reading.rules)
        head_items = iter(reading.heads)
        for ti, table in enumerate(reading.tables):
            flags = [
                [spec.touches(ports) if spec.ports else False for _, _, spec in chain.rules]
                for chain in table.chains
            ]
            on_path = _sip_path_names(
                (
                    chain.name,
                    chain.policy != "",
                    (
                        (spec.target, flag)
                        for (_, _, spec), flag in zip(chain.rules, marks, strict=True)
                    ),
                )
                for chain, marks in zip(table.chains, flags, strict=True)
            )
            first_chain = len(chains)
            for chain, marks in zip(table.chains, flags, strict=True):
                ci = len(chains)
                start = len(built)
                for index, ((_, _, spec), flag) in enumerate(
                    zip(chain.rules, marks, strict=True), start=1
                ):
                    p, b = next(items)
                    packets, nbytes = int(p), int(b)
                    key = (table.family, table.name, chain.name, index, spec.text)
                    old = before.get(key)
                    rate = byte_rate = None
                    if old is not None and elapsed is not None and elapsed > 0:
                        if packets >= old[0]:
                            rate = (packets - old[0]) / elapsed
                        if nbytes >= old[1]:
                            byte_rate = (nbytes - old[1]) / elapsed
                    if rate != 0.0 or byte_rate != 0.0:
                        unsettled.add(len(built))
                    keys.append(key)
                    values.append((packets, nbytes))
                    sip.append(flag)
                    chain_of.append(ci)
                    built.append(
                        Rule(
                            table.family,
                            table.name,
                            chain.name,
                            index,
                            spec,
                            packets,
                            nbytes,
                            rate,
                            byte_rate,
                            flag,
                        )
                    )
                hp, hb = next(head_items)
                heads.append((int(hp), int(hb)))
                spans.append((start, len(built)))
                table_of.append(ti)
                sip_path.append(chain.name in on_path)
                chains.append(
                    Chain(
                        table.family,
                        table.name,
                        chain.name,
                        chain.policy,
                        *heads[-1],
                        tuple(built[start:]),
                        chain.name in on_path,
                    )
                )
            tables.append(Table(table.family, table.name, tuple(chains[first_chain:])))
        self._shape = reading.tables
        self._items = reading.rules
        self._head_items = reading.heads
        self._keys, self._values, self._built, self._sip = keys, values, built, sip
        self._chain_of, self._spans, self._table_of, self._sip_path = (
            chain_of,
            spans,
            table_of,
            sip_path,
        )
        self._heads, self._chains, self._tables = heads, chains, tables
        self._unsettled = unsettled


def rule_counters(saved: Iterable[SavedTable]) -> tuple[dict, dict]:
    """Packet and byte counters keyed by rule identity, for a RateTracker."""
    packets: dict[tuple[str, str, str, int, str], float] = {}
    nbytes: dict[tuple[str, str, str, int, str], float] = {}
    for table in saved:
        for chain in table.chains:
            for index, (p, b, spec) in enumerate(chain.rules, start=1):
                key = (table.family, table.name, chain.name, index, spec.text)
                packets[key] = p
                nbytes[key] = b
    return packets, nbytes


# --- iptables -L -n -v -x ---------------------------------------------------------------

_CHAIN_HEAD = re.compile(
    r"^Chain (\S+) \((?:policy (\S+) (\d+) packets, (\d+) bytes|(\d+) references)\)"
)
_OPT = re.compile(r"^(--|-f|!f)$")


@dataclass(frozen=True, slots=True)
class ListedRule:
    """One row of `iptables -L -n -v -x`."""

    packets: int
    bytes: int
    target: str
    protocol: str
    opt: str
    in_interface: str
    out_interface: str
    source: str
    destination: str
    extra: str


@dataclass(frozen=True, slots=True)
class ListedChain:
    name: str
    policy: str  # "" for custom chains
    packets: int
    bytes: int
    references: int
    rules: tuple[ListedRule, ...]


def parse_iptables_list(text: str) -> tuple[ListedChain, ...]:
    """Parse `iptables [-t T] -L -n -v -x` (1.4.21 and 1.8.x); the target column may be empty."""
    chains: list[ListedChain] = []
    name: str | None = None
    policy = ""
    packets = nbytes = refs = 0
    rows: list[ListedRule] = []

    def finish() -> None:
        if name is not None:
            chains.append(ListedChain(name, policy, packets, nbytes, refs, tuple(rows)))

    for line in text.splitlines():
        head = _CHAIN_HEAD.match(line)
        if head:
            finish()
            name = head.group(1)
            policy = head.group(2) or ""
            packets = int(head.group(3) or 0)
            nbytes = int(head.group(4) or 0)
            refs = int(head.group(5) or 0)
            rows = []
            continue
        parts = line.split()
        if name is None or len(parts) < 8 or parts[0] == "pkts":
            continue
        try:
            p, b = int(parts[0]), int(parts[1])
        except ValueError:
            continue
        # With an empty target the opt column (`--`) moves one place left.
        if len(parts) > 4 and _OPT.match(parts[4]):
            target, prot, rest = parts[2], parts[3], parts[4:]
        elif _OPT.match(parts[3]):
            target, prot, rest = "", parts[2], parts[3:]
        else:
            continue
        if len(rest) < 5:
            continue
        opt, iface_in, iface_out, src, dst = rest[:5]
        extra = _extra_after(line, rest[:5])
        rows.append(ListedRule(p, b, target, prot, opt, iface_in, iface_out, src, dst, extra))
    finish()
    return tuple(chains)


def listed_table(chains: Iterable[ListedChain], family: str, table: str) -> SavedTable:
    """`iptables -L` output as a SavedTable; rule words come from the listed columns."""
    saved = []
    for chain in chains:
        rules = []
        for row in chain.rules:
            text = " ".join(
                part
                for part in (
                    row.protocol,
                    row.in_interface,
                    row.out_interface,
                    row.source,
                    row.destination,
                    row.extra,
                    "->",
                    row.target or "(count)",
                )
                if part
            )
            parts = []
            if row.protocol not in ("all", "0"):
                parts.append(row.protocol)
            if row.in_interface != "*":
                parts.append("in on " + row.in_interface)
            if row.out_interface != "*":
                parts.append("out on " + row.out_interface)
            for label, address in (("from", row.source), ("to", row.destination)):
                if address not in ("0.0.0.0/0", "::/0"):
                    parts.append(f"{label} {address}")
            if row.extra:
                parts.append(row.extra)
            if not row.target:
                action = "count only"
            elif row.target in TERMINAL_TARGETS:
                action = row.target.lower()
            else:
                action = f"jump to {row.target}"
            words = f"{', '.join(parts) or 'every packet'} → {action}"
            ports = [
                (int(low), int(high or low))
                for low, high in re.findall(r"[ds]pts?:(\d+)(?::(\d+))?", row.extra)
            ]
            spec = RuleSpec(
                text=clean_line(text, 400),
                protocol=row.protocol,
                target=row.target,
                ports=tuple(ports),
                words=clean_line(words, 400),
            )
            rules.append((row.packets, row.bytes, spec))
        saved.append(SavedChain(chain.name, chain.policy, chain.packets, chain.bytes, tuple(rules)))
    return SavedTable(family, table, tuple(saved))


def _extra_after(line: str, columns: list[str]) -> str:
    """The match/target text after the destination column, as printed."""
    position = 0
    for column in columns:
        position = line.index(column, position) + len(column)
    return line[position:].strip()


# --- plain words ------------------------------------------------------------------------


def _with_words(spec: RuleSpec) -> RuleSpec:
    return replace(spec, words=describe_rule(spec))


def describe_rule(spec: RuleSpec) -> str:
    """The rule in plain words, e.g. `udp to port 5060, payload has "friendly-scanner" → drop`."""
    parts: list[str] = []
    if spec.protocol:
        parts.append(_neg_word(spec.protocol))
    if spec.source:
        parts.append("from " + _neg_word(spec.source))
    if spec.destination:
        parts.append("to " + _neg_word(spec.destination))
    if spec.in_interface:
        parts.append("in on " + _neg_word(spec.in_interface))
    if spec.out_interface:
        parts.append("out on " + _neg_word(spec.out_interface))
    if spec.fragment:
        parts.append(spec.fragment)
    for match in spec.matches:
        words = describe_match(match)
        if words:
            parts.append(words)
    condition = ", ".join(parts) if parts else "every packet"
    action = describe_target(spec)
    text = f"{condition} → {action}"
    if spec.comment:
        text += f"  # {spec.comment}"
    return clean_line(text, 400)


def _neg_word(value: str) -> str:
    return "not " + value[2:] if value.startswith("! ") else value


def _opt(match: Match, name: str) -> str | None:
    option = match.get(name)
    return None if option is None else option.value


def describe_match(match: Match) -> str:
    module = match.module
    options = {o.name: o for o in match.options}
    if module == "comment":
        return ""
    if module in ("udp", "tcp", "sctp", "udplite", "dccp"):
        words = []
        for name, label in (
            ("--sport", "from port"),
            ("--source-port", "from port"),
            ("--dport", "to port"),
            ("--destination-port", "to port"),
        ):
            if name in options:
                option = options[name]
                words.append(f"{label} {'not ' if option.negated else ''}{option.value}")
        for option in match.options:
            if option.name in ("--tcp-flags", "--syn", "--tcp-option"):
                words.append(f"{'not ' if option.negated else ''}{option.name[2:]} {option.value}")
        return " ".join(words)
    if module == "multiport":
        words = []
        for name, label in (
            ("--sports", "from ports"),
            ("--source-ports", "from ports"),
            ("--dports", "to ports"),
            ("--destination-ports", "to ports"),
            ("--ports", "ports"),
        ):
            if name in options:
                option = options[name]
                words.append(f"{label} {'not ' if option.negated else ''}{option.value}")
        return " ".join(words)
    if module == "string":
        found = options.get("--string") or options.get("--hex-string")
        pattern = found.value if found else "?"
        neg = "does not contain" if found and found.negated else "contains"
        text = f'payload {neg} "{pattern}"'
        extras = []
        if "--icase" in options:
            extras.append("any case")
        algo = _opt(match, "--algo")
        if algo:
            extras.append(algo)
        start, end = _opt(match, "--from"), _opt(match, "--to")
        if start and start != "0":
            extras.append(f"from byte {start}")
        if end and end != "65535":
            extras.append(f"to byte {end}")
        return text + (f" ({', '.join(extras)})" if extras else "")
    if module == "recent":
        name = _opt(match, "--name") or "DEFAULT"
        side = "destination" if "--rdest" in options else "source"
        negated = any(o.negated for o in match.options)
        if "--set" in options:
            return f"add {side} to recent list {name}"
        if "--remove" in options:
            return f"remove {side} from recent list {name}"
        verb = "update" if "--update" in options else "check"
        text = f"{side} {'not ' if negated else ''}in recent list {name}"
        hits, seconds = _opt(match, "--hitcount"), _opt(match, "--seconds")
        if hits:
            text += f" with {hits}+ hits"
        if seconds:
            text += f" in the last {seconds} s"
        if "--rttl" in options:
            text += " (same TTL)"
        if "--reap" in options:
            text += " (reap)"
        return text + f" [{verb}]"
    if module == "connlimit":
        above, upto = _opt(match, "--connlimit-above"), _opt(match, "--connlimit-upto")
        mask = _opt(match, "--connlimit-mask")
        side = "destination" if "--connlimit-daddr" in options else "source"
        group = f"per {side} /{mask}" if mask else f"per {side}"
        if above is not None:
            return f"more than {above} connections {group}"
        if upto is not None:
            return f"at most {upto} connections {group}"
        return "connlimit " + _raw(match)
    if module == "hashlimit":
        above, upto = _opt(match, "--hashlimit-above"), _opt(match, "--hashlimit-upto")
        limit = above or upto or _opt(match, "--hashlimit") or "?"
        word = "over" if above is not None else "within"
        burst = _opt(match, "--hashlimit-burst")
        mode = _opt(match, "--hashlimit-mode")
        table = _opt(match, "--hashlimit-name")
        text = f"{word} {limit}"
        if burst:
            text += f" (burst {burst})"
        if mode:
            text += f" per {mode.replace(',', '+')}"
        if table:
            text += f", table {table}"
        return text
    if module == "limit":
        average = _opt(match, "--limit") or "3/hour"
        burst = _opt(match, "--limit-burst")
        return f"at most {average}" + (f" (burst {burst})" if burst else "")
    if module in ("conntrack", "state"):
        state = options.get("--ctstate") or options.get("--state")
        if state:
            return f"state {'not ' if state.negated else ''}{state.value}"
        return module + " " + _raw(match)
    if module == "set":
        ipset = options.get("--match-set")
        if ipset:
            return f"{'not ' if ipset.negated else ''}in ipset {ipset.value}"
    if module == "iprange":
        for name, label in (("--src-range", "from"), ("--dst-range", "to")):
            if name in options:
                return f"{label} {'not ' if options[name].negated else ''}{options[name].value}"
    if module == "mac" and "--mac-source" in options:
        return f"from MAC {options['--mac-source'].value}"
    if module == "length" and "--length" in options:
        return f"length {options['--length'].value}"
    if module == "addrtype":
        return "address type " + _raw(match)
    return f"{module} {_raw(match)}".strip()


def _raw(match: Match) -> str:
    return " ".join(
        f"{'! ' if o.negated else ''}{o.name}{' ' + o.value if o.value else ''}"
        for o in match.options
    )


def describe_target(spec: RuleSpec) -> str:
    target = spec.target
    opts = {o.name: o.value for o in spec.target_options}
    if not target:
        return "count only"
    if target == "ACCEPT":
        return "accept"
    if target == "DROP":
        return "drop"
    if target == "RETURN":
        return "return to the calling chain"
    if target == "REJECT":
        how = opts.get("--reject-with")
        return "reject" + (f" with {how}" if how else "")
    if target == "LOG":
        text = "log"
        if "--log-prefix" in opts:
            text += f' "{opts["--log-prefix"]}"'
        if "--log-level" in opts:
            text += f" at level {opts['--log-level']}"
        return text + " and go on"
    if target == "NFLOG":
        group = opts.get("--nflog-group", "0")
        prefix = opts.get("--nflog-prefix")
        return f"nflog group {group}" + (f' "{prefix}"' if prefix else "") + " and go on"
    if target == "NFQUEUE":
        if "--queue-balance" in opts:
            queue = f"queues {opts['--queue-balance']}"
        else:
            queue = f"queue {opts.get('--queue-num', '0')}"
        if "--queue-bypass" in opts:
            return f"to userspace {queue} (bypass: accepted if no program listens)"
        return f"to userspace {queue} (no bypass: dropped if no program listens)"
    if target in ("MARK", "CONNMARK"):
        value = next(iter(opts.values()), "")
        return f"set {target.lower()} {value}".strip()
    if target == "CT" and "--notrack" in opts:
        return "do not track"
    if target == "NOTRACK":
        return "do not track"
    if target in TERMINAL_TARGETS:
        rest = " ".join(f"{k} {v}".strip() for k, v in opts.items())
        return f"{target.lower()} {rest}".strip()
    verb = "go to" if spec.goto else "jump to"
    return f"{verb} {target}"
