"""Registrations that fail: wrong password, refused, unknown, unanswered, bad expiry.

Failures from an IP that the scanner rules report (many accounts, many auth failures)
are folded into that finding instead of one finding per account.
"""

from __future__ import annotations

from collections.abc import Callable

from vostui.diagnose.context import Context, message_line
from vostui.diagnose.finding import (
    NOTICE,
    REGISTRATION,
    WARNING,
    Affected,
    Finding,
    Ref,
    evidence,
)
from vostui.engine.snapshot import RegistrationAttempt, RegistrationView
from vostui.report import seconds


def _ip(source: str) -> str:
    return source.rpartition(":")[0] or source


def _attempt_lines(reg: RegistrationView, attempts: int = 3) -> list[str]:
    lines = []
    for attempt in reg.history[-attempts:]:
        for record in attempt.messages[:3]:
            lines.append(message_line(record))
        if attempt.code == 0:
            lines.append(f"    no response ({len(attempt.messages)} sent)")
    return lines


def _finding(
    reg: RegistrationView,
    rule: str,
    severity: str,
    title: str,
    lines: list[str],
    cause: str,
    check: str,
    fix: str,
    codes: tuple[int, ...] = (),
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        title=title,
        affected=Affected(REGISTRATION, f"{reg.account} {reg.source}"),
        evidence=evidence(
            [
                f"{reg.account} from {reg.source} to {reg.registrar}: {reg.state}, "
                f"{reg.attempts} attempt(s), {reg.challenges} challenge(s)"
                + (f", User-Agent {reg.user_agent}" if reg.user_agent else ""),
                *lines,
            ]
        ),
        cause=cause,
        check=check,
        fix=fix,
        refs=(Ref(registration=(reg.account, reg.source)),),
        count=reg.attempts,
        first=reg.first_seen,
        last=reg.last_seen,
        codes=codes,
    )


def _each(
    ctx: Context, pick: Callable[[RegistrationView], bool], make: Callable[..., Finding]
) -> list[Finding]:
    out = []
    for reg in ctx.snap.registrations:
        # A trusted address is exempt from the scanner rules and from block advice,
        # not from its failing registrations: a PBX's 403s are still to be fixed.
        if _ip(reg.source) in ctx.attackers:
            continue
        if pick(reg):
            out.append(make(reg))
    return out


def challenge_loop(ctx: Context) -> list[Finding]:
    loop = ctx.settings.register_loop

    def make(reg: RegistrationView) -> Finding:
        return _finding(
            reg,
            "registration.challenge_loop",
            WARNING,
            f"{reg.account} from {reg.source}: challenged {reg.challenge_loop} times in a "
            "row with credentials: wrong password",
            _attempt_lines(reg),
            "The UA answers each 401/407 with credentials and is challenged again: the "
            "password (or the auth user name, or the realm) does not match the account.",
            "Compare the account's user, auth user and password on the device with the "
            "softswitch's account; look at the username= and realm= in the Authorization "
            "header.",
            "Set the right password on the device (or reset it on the softswitch). If the "
            "account is not yours to fix, block the source until the owner does.",
            (401, 407),
        )

    return _each(ctx, lambda r: r.challenge_loop >= loop, make)


def forbidden(ctx: Context) -> list[Finding]:
    def make(reg: RegistrationView) -> Finding:
        return _finding(
            reg,
            "registration.forbidden",
            WARNING,
            f"{reg.account} from {reg.source}: registration refused 403",
            _attempt_lines(reg),
            "The registrar refuses this account from this address: wrong password after "
            "the allowed tries, the account disabled or expired, or its IP/binding "
            "restriction does not include this source.",
            "On the softswitch: is the account enabled, is the source IP allowed for it, "
            "has it been locked after failed logins?",
            "Fix the credentials or the account's allowed IPs; unlock the account.",
            (403,),
        )

    return _each(ctx, lambda r: r.state == "forbidden" or r.last_code == 403, make)


def not_found(ctx: Context) -> list[Finding]:
    def make(reg: RegistrationView) -> Finding:
        return _finding(
            reg,
            "registration.not_found",
            WARNING,
            f"{reg.account} from {reg.source}: unknown account (404)",
            _attempt_lines(reg),
            "The registrar does not know this account: a typo in the user or domain on "
            "the device, an account deleted on the softswitch, or the wrong registrar.",
            "Check the user and domain in the To header against the softswitch's accounts.",
            "Create the account, or correct the user/domain on the device.",
            (404,),
        )

    return _each(ctx, lambda r: r.state == "not_found" or r.last_code == 404, make)


def _unanswered(reg: RegistrationView, now: float, retries: int) -> RegistrationAttempt | None:
    if not reg.history:
        return None
    last = reg.history[-1]
    if last.code != 0:
        return None
    if reg.state == "timeout":
        return last
    # The engine calls it a timeout after 32 s; resends without any answer say so
    # sooner, and a capture may end before the 32 s are up.
    if len(last.messages) > retries and now - last.ts >= 3.0:
        return last
    return None


def no_response(ctx: Context) -> list[Finding]:
    now = ctx.now
    retries = ctx.settings.register_retries

    def make(reg: RegistrationView) -> Finding:
        last = reg.history[-1]
        registrar_ip = _ip(reg.registrar)
        return _finding(
            reg,
            "registration.no_response",
            WARNING,
            f"{reg.account} from {reg.source}: no response from {reg.registrar}",
            [
                *_attempt_lines(reg, 1),
                f"    last REGISTER {seconds(now - last.ts)} ago, nothing came back",
            ],
            "The REGISTER goes out (or comes in) and nothing answers: a firewall dropping "
            "it, the registrar's process down, the wrong IP/port, or the answer lost on "
            "its way back (NAT).",
            f"On the registrar: iptables -L INPUT -v -n --line-numbers | grep -E "
            f"'{_ip(reg.source)}|5060'; ss -lunp | grep 5060; tcpdump -ni any host "
            f"{_ip(reg.source)} and port {reg.registrar.rpartition(':')[2] or 5060}",
            f"Allow the source in the firewall, start the softswitch's SIP service, or "
            f"point the device at the right registrar ({registrar_ip}).",
        )

    return _each(ctx, lambda r: _unanswered(r, now, retries) is not None, make)


def expires_out_of_range(ctx: Context) -> list[Finding]:
    low = ctx.settings.register_expires_min
    high = ctx.settings.register_expires_max

    def value(reg: RegistrationView) -> int | None:
        if reg.last_code == 423:
            return 0
        if reg.expires is not None and reg.expires > 0:
            return reg.expires
        for attempt in reversed(reg.history):
            if attempt.expires:
                return attempt.expires
        return None

    def bad(reg: RegistrationView) -> bool:
        v = value(reg)
        return v is not None and (reg.last_code == 423 or v < low or v > high)

    def make(reg: RegistrationView) -> Finding:
        v = value(reg) or 0
        short = reg.last_code == 423 or v < low
        what = "423 Interval Too Brief" if reg.last_code == 423 else f"Expires {v} s"
        return _finding(
            reg,
            "registration.expires",
            NOTICE,
            f"{reg.account} from {reg.source}: {what}, outside {low}-{high} s",
            _attempt_lines(reg, 1),
            (
                "A very short expiry makes the UA re-register every few seconds: load on "
                "the registrar, and a flood when many do it."
                if short
                else "A very long expiry keeps a dead binding for hours: calls go to a UA "
                "that is gone, and the NAT binding expires long before the registration."
            ),
            "Look at the Expires header / Contact expires= in the REGISTER and the 200 OK.",
            f"Set the registration interval on the device between {low} and {high} s "
            "(60-600 s behind NAT), or have the registrar bound it.",
            (423,) if reg.last_code == 423 else (),
        )

    return _each(ctx, bad, make)


RULES = (
    ("registration.challenge_loop", "REGISTER challenged again and again"),
    ("registration.forbidden", "REGISTER refused 403"),
    ("registration.not_found", "REGISTER for an unknown account 404"),
    ("registration.no_response", "REGISTER without any response"),
    ("registration.expires", "registration expiry out of range"),
)
CHECKS = (
    challenge_loop,
    forbidden,
    not_found,
    no_response,
    expires_out_of_range,
)
