"""Scanners and brute force: signatures, OPTIONS floods, password guessing, enumeration.

When host data is there, each finding says whether the firewall already drops the
source (a DROP/REJECT rule that covers it, with its counters moving) and lowers the
severity to "notice" when it does; without host data it says "not checked".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from vostui.diagnose.context import Context
from vostui.diagnose.finding import (
    CAPTURE as CAPTURE_KIND,
)
from vostui.diagnose.finding import (
    CRITICAL,
    IP,
    NOTICE,
    WARNING,
    Affected,
    Finding,
    Ref,
    covering,
    evidence,
    refs,
)
from vostui.diagnose.legit import accepted
from vostui.diagnose.settings import Settings
from vostui.engine.snapshot import EngineSnapshot, SourceView

DROP_TARGETS = frozenset({"DROP", "REJECT", "TARPIT"})


def source_covers(source: str, ip: str) -> bool:
    """An iptables -s value ("1.2.3.4", "1.2.3.0/24", "!10.0.0.0/8") covers `ip`."""
    if not source or source.startswith("!"):
        return False
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(source, strict=False)
    except ValueError:
        return False


def firewall_status(ctx: Context, ip: str, agents: tuple[str, ...] = ()) -> tuple[bool, list[str]]:
    """(dropped, evidence lines): is there a rule that drops this source, and is it
    counting? Rules by source address, string matches on the User-Agent, recent lists."""
    host = ctx.host
    firewall = getattr(host, "firewall", None) if host is not None else None
    if firewall is None:
        return False, ["firewall: not checked (no host data)"]
    if not firewall.ok:
        return False, [f"firewall: not read ({firewall.problem})"]
    lines: list[str] = []
    dropped = False
    for rule in firewall.rules():
        if rule.target not in DROP_TARGETS:
            continue
        spec = rule.spec
        match_text = ""
        if source_covers(spec.source, ip):
            match_text = f"source {spec.source}"
        else:
            for match in spec.matches:
                if match.module != "string":
                    continue
                option = match.get("string")
                if (
                    option
                    and not option.negated
                    and any(option.value.strip('"').lower() in agent.lower() for agent in agents)
                ):
                    match_text = f'string "{option.value}"'
        if not match_text:
            continue
        rate = rule.packets_per_second
        moving = rate is not None and rate > 0
        dropped = dropped or moving or (rate is None and rule.packets > 0)
        rate_text = f", {rate:.1f}/s now" if rate is not None else ""
        lines.append(
            f"firewall: {rule.family} {rule.table} {rule.chain} rule {rule.index} "
            f"{rule.target} ({match_text}): {rule.packets} packets{rate_text}"
        )
    recent = getattr(host, "recent", None)
    if recent is not None:
        for name, entry in recent.find(ip):
            lines.append(f"xt_recent {name}: {ip} {entry.hits} hits")
    if not lines:
        lines.append(f"firewall: no DROP/REJECT rule covers {ip}")
    return dropped, lines


def _log_lines(ctx: Context, ip: str) -> list[str]:
    logs: Any = ctx.logs
    if logs is None:
        return []
    out = []
    for hits in logs.firewall_hits():
        if hits.ip == ip:
            prefixes = ", ".join(f"{p} ×{n}" for p, n in hits.prefixes[:3])
            out.append(f"kernel log: {hits.count} firewall log lines for {ip} ({prefixes})")
    for line in logs.lines_for(ips=[ip])[-3:]:
        out.append(f"log {line.file}: {line.text}")
    return out


def _source_lines(source: SourceView) -> list[str]:
    counts = ", ".join(f"{method} {n}" for method, n in source.counts[:5])
    span = max(0.0, source.last_seen - source.first_seen)
    lines = [
        f"{source.ip}: {counts} over {span:.0f} s; {source.accounts_tried} account(s) tried, "
        f"{source.auth_failures} auth failure(s), {source.responses_sent} response(s) sent",
    ]
    if source.user_agents:
        lines.append("User-Agent: " + " | ".join(source.user_agents[:3]))
    return lines


def _block_advice(ip: str) -> str:
    return (
        f"Block the source: iptables -I INPUT -s {ip} -j DROP (and keep it in the saved "
        "rules); rate-limit SIP from unknown sources (hashlimit/recent) and allow only "
        "your gateways where you can."
    )


def _device_advice(ip: str, legitimate: str) -> str:
    return (
        f"Do not block {ip}: {legitimate}. Fix the device (its keepalive interval, its "
        "accounts' passwords) and rate-limit SIP per source (hashlimit) so one device "
        "cannot take the softswitch down."
    )


def _finding(
    ctx: Context,
    source: SourceView,
    rule: str,
    severity: str,
    title: str,
    lines: list[str],
    cause: str,
    check: str,
    count: int,
) -> Finding:
    """A scanner finding. Critical only with direct evidence that fraud succeeded (an
    account cracked from this source); the advice to block only where the source's
    traffic does not fit a legitimate device (`vostui.diagnose.legit`)."""
    verdict = ctx.peers.verdict(source.ip)
    dropped, fw = firewall_status(ctx, source.ip, source.user_agents)
    if verdict.compromised:
        severity = CRITICAL
        lines = [f"ACCOUNT CRACKED: {verdict.compromised}", *lines]
    elif dropped:
        severity = NOTICE
        title += " (the firewall already drops it)"
    if verdict.legitimate:
        lines = [f"legitimate device: {verdict.legitimate}; no block advised", *lines]
    registered = [r.account for r in ctx.peers.registrations.get(source.ip, ()) if accepted(r)]
    reg_refs = [
        Ref(registration=(r.account, r.source)) for r in ctx.peers.registrations.get(source.ip, ())
    ]
    if verdict.legitimate:
        fix = _device_advice(source.ip, verdict.legitimate)
    elif verdict.compromised and registered:
        fix = (
            "Change the password of every account registered from this IP ("
            + ", ".join(registered[:5])
            + ") and check their calls (toll fraud). "
            + _block_advice(source.ip)
        )
    else:
        fix = _block_advice(source.ip)
    return Finding(
        rule=rule,
        severity=severity,
        title=title,
        affected=Affected(IP, source.ip),
        evidence=evidence([*lines, *fw, *_log_lines(ctx, source.ip)]),
        cause=cause,
        check=check,
        fix=fix,
        **covering((ref.call for ref in _call_refs(ctx, source.ip)), Ref(ip=source.ip), *reg_refs),
        count=count,
        first=source.first_seen,
        last=source.last_seen,
    )


def _call_refs(ctx: Context, ip: str) -> list[Ref]:
    """The calls placed from a source (a scanner's INVITE probes, a cracked account's
    calls), so the call list can mark them."""
    return [Ref(call=key) for key in ctx.calls_by_source.get(ip, ())]


def _wanted(ctx: Context) -> list[SourceView]:
    return [s for s in ctx.snap.sources if not ctx.known_peer(s.ip) and s.ip not in ctx.softswitch]


def _flood_rate(ctx: Context, source: SourceView) -> float | None:
    """OPTIONS per second when the source floods, else None."""
    s = ctx.settings
    count = source.count("OPTIONS")
    if count < s.scan_min_requests:
        return None
    span = max(1.0, source.last_seen - source.first_seen)
    rate = max(source.rate("OPTIONS"), count / span)
    return rate if rate >= s.options_flood_rate else None


def _guessing(ctx: Context, source: SourceView) -> bool:
    s = ctx.settings
    if source.auth_failures < s.brute_force_failures:
        return False
    regs = ctx.peers.registrations.get(source.ip, [])
    # one device retrying one account: registration.challenge_loop says so
    return len(regs) > 1 or source.accounts_tried > 1 or bool(source.signatures)


def flag_sources(ctx: Context) -> dict[str, tuple[str, ...]]:
    """Per source IP, the scanner rules that report it (see `Context.flagged`).

    A legitimate device (`vostui.diagnose.legit`) is never reported for password
    guessing or enumeration: its failing accounts are registration findings. It is
    reported for a flood (a misbehaving device), without the advice to block it.
    """
    s = ctx.settings
    out: dict[str, tuple[str, ...]] = {}
    for source in _wanted(ctx):
        verdict = ctx.peers.verdict(source.ip)
        rules = []
        if source.signatures:
            rules.append("scan.signature")
        if _flood_rate(ctx, source) is not None:
            rules.append("scan.options_flood")
        if not verdict.legitimate and _invite_rate(ctx, source) is not None:
            rules.append("scan.invite_flood")
        if not verdict.legitimate:
            guessing = _guessing(ctx, source) or bool(verdict.compromised)
            if guessing:
                rules.append("scan.brute_force")
            elif source.accounts_tried >= s.enumeration_accounts:
                rules.append("scan.enumeration")
        if rules:
            out[source.ip] = tuple(rules)
    for ip in _distributed(ctx, out):
        out[ip] = (*out.get(ip, ()), "scan.distributed_guessing")
    return out


def _invite_rate(ctx: Context, source: SourceView) -> float | None:
    """INVITEs per second when a source floods them, else None."""
    s = ctx.settings
    count = source.count("INVITE")
    if count < s.scan_min_requests:
        return None
    span = max(1.0, source.last_seen - source.first_seen)
    rate = max(source.rate("INVITE"), count / span)
    return rate if rate >= s.invite_flood_rate else None


def _distributed(ctx: Context, flagged: dict[str, tuple[str, ...]]) -> list[str]:
    """Sources guessing passwords slowly and together: each with a few refused
    authentications (under `brute_force_failures`), none a legitimate device, and either
    one account refused with credentials from `distributed_sources` (3) of them, or
    `distributed_sources` sources or more with at most `register_loop` (3) failures each
    that together reach `brute_force_failures`. A phone with a wrong password retries
    the same account from one address many times: not this."""
    s = ctx.settings
    few: dict[str, SourceView] = {}
    for source in _wanted(ctx):
        if source.ip in flagged or not 0 < source.auth_failures < s.brute_force_failures:
            continue
        if ctx.peers.verdict(source.ip).legitimate:
            continue
        few[source.ip] = source
    if len(few) < s.distributed_sources:
        return []
    shared = _shared(ctx, few)
    light = [ip for ip, src in few.items() if src.auth_failures <= s.register_loop]
    if len(light) >= s.distributed_sources and (
        sum(few[ip].auth_failures for ip in light) >= s.brute_force_failures
    ):
        shared.update(light)
    return [ip for ip in few if ip in shared]


def _shared(ctx: Context, ips: Iterable[str]) -> set[str]:
    """Of `ips`, those refused with credentials on an account that `distributed_sources`
    (3) of them were refused on."""
    by_account: dict[str, set[str]] = {}
    for ip in ips:
        for reg in ctx.peers.registrations.get(ip, ()):
            if reg.challenge_loop or reg.last_code == 403:
                by_account.setdefault(reg.account, set()).add(ip)
    n = ctx.settings.distributed_sources
    return {ip for group in by_account.values() if len(group) >= n for ip in group}


def corroborated(ctx: Context) -> frozenset[str]:
    """See `Context.corroborated` (a source that cracked an account is one too)."""
    ips = [ip for ip, rules in ctx.flagged.items() if "scan.distributed_guessing" in rules]
    shared = _shared(ctx, ips)
    out = set()
    for ip in ips:
        source = ctx.sources.get(ip)
        if (
            ip in shared
            or ctx.peers.verdict(ip).compromised
            or (source is not None and (source.signatures or source.accounts_tried > 1))
        ):
            out.add(ip)
    return frozenset(out)


def _flagged(ctx: Context, rule: str) -> list[SourceView]:
    return [
        source
        for ip, rules in ctx.flagged.items()
        if rule in rules and (source := ctx.sources.get(ip)) is not None
    ]


def signature(ctx: Context) -> list[Finding]:
    out = []
    for source in _flagged(ctx, "scan.signature"):
        requests = sum(n for _m, n in source.counts)
        out.append(
            _finding(
                ctx,
                source,
                "scan.signature",
                WARNING,
                f"{source.ip}: SIP scanner ({', '.join(source.signatures[:3])})",
                [f"signatures: {', '.join(source.signatures)}", *_source_lines(source)],
                "A known SIP scanning tool (SIPVicious and its kin) is probing the softswitch: "
                "first OPTIONS to find it, then REGISTER/INVITE to find extensions and "
                "guess passwords, then toll fraud.",
                f"tcpdump -ni any -c 20 host {source.ip} and port 5060; "
                "iptables -L INPUT -v -n --line-numbers",
                requests,
            )
        )
    return out


def options_flood(ctx: Context) -> list[Finding]:
    s = ctx.settings
    out = []
    for source in _flagged(ctx, "scan.options_flood"):
        count = source.count("OPTIONS")
        rate = _flood_rate(ctx, source) or 0.0
        out.append(
            _finding(
                ctx,
                source,
                "scan.options_flood",
                WARNING,
                f"{source.ip}: OPTIONS flood, {rate:.0f}/s ({count} requests)",
                [
                    f"{count} OPTIONS at {rate:.1f}/s (limit {s.options_flood_rate:.0f}/s)",
                    *_source_lines(source),
                ],
                "One source sends OPTIONS far faster than any keepalive (gateways ping every "
                "10-60 s): a scanner sweeping for SIP servers, or a misconfigured device.",
                f"tcpdump -ni any -c 20 host {source.ip} and port 5060; "
                "iptables -L INPUT -v -n --line-numbers",
                count,
            )
        )
    return out


def brute_force(ctx: Context) -> list[Finding]:
    out = []
    for source in _flagged(ctx, "scan.brute_force"):
        regs = ctx.peers.registrations.get(source.ip, [])
        states: dict[str, int] = {}
        for reg in regs:
            states[reg.state] = states.get(reg.state, 0) + 1
        lines = _source_lines(source)
        if regs:
            lines.append(
                f"{len(regs)} account(s) registered from it: "
                + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
            )
            lines.append("accounts: " + ", ".join(r.account for r in regs[:8]))
        out.append(
            _finding(
                ctx,
                source,
                "scan.brute_force",
                WARNING,
                f"{source.ip}: password guessing, {source.auth_failures} failed "
                f"authentications over {source.accounts_tried} account(s)",
                lines,
                "Someone is guessing SIP passwords: REGISTER (or INVITE) with credentials, "
                "refused again and again, usually over many accounts. A hit means a "
                "registered account used for toll fraud.",
                "iptables -L INPUT -v -n --line-numbers; the softswitch's registration log "
                f"for {source.ip}; are any of these accounts registered from it?",
                source.auth_failures,
            )
        )
    return out


def enumeration(ctx: Context) -> list[Finding]:
    out = []
    for source in _flagged(ctx, "scan.enumeration"):
        regs = ctx.peers.registrations.get(source.ip, [])
        codes: dict[int, int] = {}
        for reg in regs:
            codes[reg.last_code] = codes.get(reg.last_code, 0) + 1
        lines = _source_lines(source)
        if codes:
            lines.append(
                "answers: "
                + ", ".join(f"{code or 'none'} ×{n}" for code, n in sorted(codes.items()))
            )
            lines.append("accounts: " + ", ".join(r.account for r in regs[:8]))
        out.append(
            _finding(
                ctx,
                source,
                "scan.enumeration",
                WARNING,
                f"{source.ip}: extension enumeration, {source.accounts_tried} accounts tried",
                lines,
                "One source asks for many different extensions (REGISTER/INVITE/OPTIONS to "
                "a new user each time) and reads the answers: 404 means no such account, "
                "401/403 means it exists. Password guessing on the found ones comes next.",
                "Does the softswitch answer unknown and known accounts differently? "
                "iptables -L INPUT -v -n --line-numbers",
                source.accounts_tried,
            )
        )
    return out


def invite_flood(ctx: Context) -> list[Finding]:
    s = ctx.settings
    out = []
    for source in _flagged(ctx, "scan.invite_flood"):
        count = source.count("INVITE")
        rate = _invite_rate(ctx, source) or 0.0
        out.append(
            _finding(
                ctx,
                source,
                "scan.invite_flood",
                WARNING,
                f"{source.ip}: INVITE flood, {rate:.0f}/s ({count} requests), no call answered",
                [
                    f"{count} INVITEs at {rate:.1f}/s (limit {s.invite_flood_rate:.0f}/s), "
                    "none answered",
                    *_source_lines(source),
                ],
                "A source that is not a known trunk sends INVITEs fast and none is answered: "
                "a scanner probing for an open route (toll fraud), or a flood. A real "
                "trunk at high CPS has answered calls or is a configured gateway.",
                f"tcpdump -ni any -c 50 host {source.ip} and port 5060 | grep INVITE; "
                "the numbers it dials (premium, international prefixes)",
                count,
            )
        )
    return out


def distributed_guessing(ctx: Context) -> list[Finding]:
    """One finding for all the sources that guess passwords slowly together."""
    ips = [ip for ip, rules in ctx.flagged.items() if "scan.distributed_guessing" in rules]
    sources = [src for ip in ips if (src := ctx.sources.get(ip)) is not None]
    if not sources:
        return []
    failures = sum(src.auth_failures for src in sources)
    accounts: dict[str, int] = {}
    for ip in ips:
        for reg in ctx.peers.registrations.get(ip, ()):
            accounts[reg.account] = accounts.get(reg.account, 0) + 1
    top = sorted(accounts.items(), key=lambda kv: -kv[1])[:5]
    lines = [
        f"{len(sources)} sources, {failures} refused authentications in all, each under "
        f"{ctx.settings.brute_force_failures}",
        "accounts: " + ", ".join(f"{account} from {n} source(s)" for account, n in top),
        *(
            f"{src.ip}: {src.auth_failures} failure(s), {src.accounts_tried} account(s)"
            + (f", User-Agent {src.user_agents[0]}" if src.user_agents else "")
            for src in sources[:8]
        ),
    ]
    refs_ = [Ref(ip=src.ip) for src in sources]
    refs_ += [
        Ref(registration=(reg.account, reg.source))
        for ip in ips
        for reg in ctx.peers.registrations.get(ip, ())
    ]
    cracked = [src.ip for src in sources if ctx.peers.verdict(src.ip).compromised]
    proven = [src for src in sources if src.ip in ctx.corroborated]
    first = min(src.first_seen for src in sources)
    last = max(src.last_seen for src in sources)
    if not proven:
        # Each source retried one account of its own a few times, and no account was
        # refused from several of them: customers' phones with a wrong password look
        # just like this. Reported, never advised to be blocked.
        return [
            Finding(
                rule="scan.distributed_guessing",
                severity=NOTICE,
                title=(
                    f"possible slow password guessing from {len(sources)} sources, "
                    f"{failures} failures (each source one account of its own)"
                ),
                affected=Affected(CAPTURE_KIND, "sources"),
                evidence=evidence(
                    [
                        *lines,
                        "not corroborated: no account refused from several of them, no "
                        "scanner signature, no source that tried more than one account",
                    ]
                ),
                cause=(
                    "Several addresses each had a few refused authentications. Phones "
                    "with a wrong password look like this; so does guessing spread over "
                    "many addresses, each trying one account slowly."
                ),
                check=(
                    "Do these accounts belong to the devices at these addresses (the "
                    "customers' phones)? The registrar's log for them; do more sources "
                    "appear over time?"
                ),
                fix=(
                    "Do not block on this alone: fix the passwords on the devices if they "
                    "are your customers'; allow REGISTER only from the networks your users "
                    "are in and use long random SIP passwords."
                ),
                refs=refs(refs_),
                count=failures,
                first=first,
                last=last,
                codes=(401, 403),
            )
        ]
    blocks = " ; ".join(f"iptables -I INPUT -s {src.ip} -j DROP" for src in proven[:5])
    if len(proven) < len(sources):
        lines.append(
            "corroborated (refused on a shared account, a scanner signature, several "
            "accounts tried, or cracked): " + ", ".join(src.ip for src in proven[:8])
        )
    return [
        Finding(
            rule="scan.distributed_guessing",
            severity=CRITICAL if cracked else WARNING,
            title=(
                f"slow password guessing from {len(sources)} sources, {failures} failures "
                "(each source under the brute-force threshold)"
            ),
            affected=Affected(CAPTURE_KIND, "sources"),
            evidence=evidence(lines),
            cause=(
                "Several addresses take turns guessing SIP passwords, each slowly enough "
                "to stay under a per-source limit (fail2ban, the brute-force threshold)."
            ),
            check=(
                "The registrar's log for these accounts; are the sources from one network "
                "or country? iptables -L INPUT -v -n --line-numbers"
            ),
            fix=(
                f"Block the sources ({blocks}; keep them in the saved rules), allow "
                "REGISTER only from the networks your users are in, and use long random "
                "SIP passwords."
            ),
            refs=refs(refs_),
            count=failures,
            first=first,
            last=last,
            codes=(401, 403),
        )
    ]


def suspicious_sources(
    snap: EngineSnapshot, config: Any = None, settings: Settings | None = None
) -> list[tuple[SourceView, tuple[str, ...]]]:
    """The sources `vostui doctor` reports with a scanner rule, with those rule ids:
    what `vostui analyze` lists as suspicious. Signatures first, then the most auth
    failures, then the most accounts tried."""
    ctx = Context(snap, settings=settings or Settings.from_config(config))
    picked = [
        (source, rules)
        for ip, rules in ctx.flagged.items()
        if (source := ctx.sources.get(ip)) is not None
    ]
    picked.sort(key=lambda p: (not p[0].signatures, -p[0].auth_failures, -p[0].accounts_tried))
    return picked


RULES = (
    ("scan.signature", "known SIP scanner signature"),
    ("scan.options_flood", "OPTIONS flood from one IP"),
    ("scan.brute_force", "REGISTER/INVITE password guessing"),
    ("scan.enumeration", "extension enumeration"),
    ("scan.invite_flood", "INVITE flood from a source with no answered call"),
    ("scan.distributed_guessing", "slow password guessing spread over several sources"),
)
CHECKS = (signature, options_flood, brute_force, enumeration, invite_flood, distributed_guessing)
