"""SIP response codes, written for the operator of a VOS3000-style softswitch.

For each code: the standard reason phrase, what it means, what usually causes it on a
B2BUA between customers (mapping gateways) and vendors (routing gateways), and what
to check first. Sources: RFC 3261, 3262 (PRACK), 3265/6665 (events), 3312
(preconditions), 3329, 4028 (session timers), 5839, 6228.

`lookup(code)` always answers: an unlisted code falls back on its class (4xx, 5xx...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class CodeInfo:
    code: int
    phrase: str  # standard reason phrase
    meaning: str  # what the code says, in one line
    cause: str  # what usually produces it on a softswitch
    check: str  # what to look at first

    @property
    def klass(self) -> str:
        """ "4xx" for 404."""
        return f"{self.code // 100}xx"


CODES: dict[int, CodeInfo] = {
    info.code: info
    for info in (
        # 1xx: provisional
        CodeInfo(
            100,
            "Trying",
            "The next hop got the request and is working on it; stops INVITE retransmissions.",
            "Sent at once by the softswitch and by each vendor. No 100 at all means the "
            "request never arrived or the reply never came back.",
            "If the INVITE is retransmitted with no 100: firewall, wrong IP/port for the "
            "gateway, or NAT on the far side. Check the ladder for retransmissions.",
        ),
        CodeInfo(
            180,
            "Ringing",
            "The called phone is ringing; the caller hears local ringback.",
            "Normal progress. A 180 after a 183 can make some phones drop early media and "
            "play their own ringback.",
            "Long time to 180 (high PDD): slow route, failover through several vendors, "
            "or the vendor's own routing. Compare PDD per vendor gateway.",
        ),
        CodeInfo(
            181,
            "Call Is Being Forwarded",
            "The call is being diverted (call forwarding at the far end).",
            "Usually passed through from a vendor's network; harmless.",
            "Nothing, unless it precedes a failure: then look at the final response.",
        ),
        CodeInfo(
            182,
            "Queued",
            "The called party is busy and the call is queued.",
            "Call centres and PBX queues behind a vendor.",
            "Nothing on the softswitch side.",
        ),
        CodeInfo(
            183,
            "Session Progress",
            "Progress with early media (SDP): ringback tone, announcement, IVR.",
            "Vendors send 183 with SDP for ringback or for 'number not in service' "
            "announcements; the call may still fail afterwards, and a billed call may "
            "never get a 200 (false answer supervision, FAS, if media flows long).",
            "One-way or no ringback: check the 183 SDP c= address (private IP = NAT), "
            "codecs, and that RTP from the vendor reaches the media relay. Long 183 with "
            "voice and no 200: suspect FAS on that vendor.",
        ),
        CodeInfo(
            199,
            "Early Dialog Terminated",
            "One early dialog of a forked call ended (RFC 6228).",
            "Forking proxies beyond a vendor; rare on a softswitch.",
            "Nothing unless calls fail: look at the final response.",
        ),
        # 2xx: success
        CodeInfo(
            200,
            "OK",
            "Success: for INVITE, the call is answered and billing starts.",
            "Normal answer. A 200 with no ACK after it makes the callee resend the 200 "
            "and drop the call after 32 s (64*T1).",
            "Calls dropping at 32 s: the ACK is not getting through (NAT, wrong Contact "
            "or Record-Route, SIP ALG). Very short answered calls on one route: FAS or "
            "robo-answer at that vendor.",
        ),
        CodeInfo(
            202,
            "Accepted",
            "Request accepted for later processing (REFER, SUBSCRIBE).",
            "Call transfer (REFER) and event subscriptions.",
            "Transfers failing later: follow the NOTIFY sipfrag messages.",
        ),
        CodeInfo(
            204,
            "No Notification",
            "Subscription accepted, no NOTIFY will follow for now (RFC 5839).",
            "Phones and PBXs with conditional event notification.",
            "Nothing.",
        ),
        # 3xx: redirection
        CodeInfo(
            300,
            "Multiple Choices",
            "The callee can be reached at several addresses listed in Contact.",
            "Redirect servers and some number-portability (LNP) or routing services.",
            "Whether the softswitch follows redirects (often it does not, and the call "
            "fails); the Contact list shows where it would go.",
        ),
        CodeInfo(
            301,
            "Moved Permanently",
            "The user moved for good; the new address is in Contact.",
            "Redirect servers; rare between carriers.",
            "The Contact address; whether redirects are followed.",
        ),
        CodeInfo(
            302,
            "Moved Temporarily",
            "Try the address in Contact for this call (call forwarding by redirect).",
            "Redirect-based routing or LNP dips by a vendor; some PBXs forward by 302.",
            "If 302 ends the call: the softswitch or gateway is set not to follow "
            "redirects. Check the Contact number: toll fraud can hide behind 302.",
        ),
        CodeInfo(
            305,
            "Use Proxy",
            "The request must go through the proxy in Contact.",
            "Rarely used; a 305 from an unknown host is suspicious.",
            "Ignore unless a trusted peer sends it.",
        ),
        CodeInfo(
            380,
            "Alternative Service",
            "The call failed but an alternative service is described (often emergency).",
            "Rare; IMS and emergency-call routing.",
            "Body of the response for the alternative offered.",
        ),
        # 4xx: request failure
        CodeInfo(
            400,
            "Bad Request",
            "The request is malformed.",
            "Broken headers from a customer device, a SIP ALG rewriting packets, an "
            "over-long or fragmented UDP message, or a header the peer does not accept.",
            "The reason phrase or Warning header usually names the bad header. Compare "
            "the request on both sides of any router (ALG), and the message size (UDP "
            "over about 1300 bytes gets fragmented).",
        ),
        CodeInfo(
            401,
            "Unauthorized",
            "Authentication challenge from the registrar or UAS (WWW-Authenticate).",
            "Normal first reply to REGISTER or INVITE with digest auth. Many 401s with "
            "no successful retry from one IP: a password-guessing scan.",
            "A 401 followed by a second request with Authorization is normal. Repeated "
            "401 for the same user: wrong password on the device. Floods from many "
            "users/IPs: block the source (scanner).",
        ),
        CodeInfo(
            402,
            "Payment Required",
            "Reserved by RFC 3261; used by some switches for 'no money'.",
            "Customer account out of balance or credit limit reached, on switches that "
            "map billing failures to 402.",
            "The customer's balance and credit limit; the rate table for the dialled prefix.",
        ),
        CodeInfo(
            403,
            "Forbidden",
            "Understood and refused; authentication will not help.",
            "On a softswitch: the caller IP is not a known mapping gateway, the account "
            "is locked or out of balance, the dialled prefix is not allowed, the "
            "concurrency limit of the account is reached, or the IP is blacklisted.",
            "Source IP against the mapping gateway list, the account status and balance, "
            "allowed prefixes and the caller/callee rewrite rules; for REGISTER: a wrong "
            "user or an IP/user restriction.",
        ),
        CodeInfo(
            404,
            "Not Found",
            "The user or number does not exist at this domain.",
            "No route for the dialled prefix (dial plan / rate table), a number rewrite "
            "that produced a wrong number, or the vendor says the number is not assigned. "
            "Scanners trying extensions get 404s.",
            "Dialled number after the prefix rewrite rules, the routing table for that "
            "prefix, and whether the 404 came from the softswitch or from the vendor.",
        ),
        CodeInfo(
            405,
            "Method Not Allowed",
            "The method is known but not allowed here (Allow header lists what is).",
            "A peer that does not take OPTIONS, INFO, UPDATE or PRACK.",
            "Allow header of the reply; turn off the feature (OPTIONS ping, INFO DTMF, "
            "100rel) towards that peer.",
        ),
        CodeInfo(
            406,
            "Not Acceptable",
            "The response could not be made acceptable to the Accept header.",
            "Rare; mismatched Accept headers.",
            "Accept headers of the request.",
        ),
        CodeInfo(
            407,
            "Proxy Authentication Required",
            "Authentication challenge from a proxy (Proxy-Authenticate).",
            "A vendor that authenticates by digest, or the softswitch challenging a "
            "customer. Repeated 407s from a vendor: wrong credentials configured for it.",
            "A retry with Proxy-Authorization should follow. If the vendor keeps sending "
            "407: the routing gateway's auth user/password, or the vendor expects IP auth.",
        ),
        CodeInfo(
            408,
            "Request Timeout",
            "No final answer in time (Timer B/F, 32 s by default).",
            "The vendor or phone did not answer at all: down, unreachable, firewall, or "
            "ringing with no answer and no timer on the far side. Also a REGISTER to a "
            "dead registrar.",
            "Whether the request reached the far side (retransmissions without any "
            "response), the vendor's status (OPTIONS ping), and the no-answer timeout.",
        ),
        CodeInfo(
            410,
            "Gone",
            "The user existed but is no longer available here.",
            "Ported or disconnected numbers at the vendor.",
            "The number; the vendor's notes on ported ranges.",
        ),
        CodeInfo(
            413,
            "Request Entity Too Large",
            "The body is too large for the server.",
            "Very large SDP (many codecs, ICE candidates) or multipart bodies.",
            "Codec list length; trim codecs towards that peer.",
        ),
        CodeInfo(
            414,
            "Request-URI Too Long",
            "The Request-URI is longer than the server accepts.",
            "Oversized numbers or parameters, often scanners or fuzzers.",
            "The source: a legitimate peer never needs this.",
        ),
        CodeInfo(
            415,
            "Unsupported Media Type",
            "The body type is not understood (Accept lists what is).",
            "Multipart bodies (SIP-I/ISUP) or non-SDP bodies sent to a peer that only "
            "takes application/sdp; INFO with an unknown DTMF body type.",
            "Content-Type of the request and the Accept header of the reply; disable "
            "ISUP encapsulation or switch DTMF mode towards that peer.",
        ),
        CodeInfo(
            416,
            "Unsupported URI Scheme",
            "The Request-URI scheme (tel:, sips:) is not supported.",
            "A tel: or sips: URI sent to a peer that takes only sip:.",
            "The Request-URI scheme set for that gateway.",
        ),
        CodeInfo(
            420,
            "Bad Extension",
            "A Proxy-Require or Require option is not supported (Unsupported lists it).",
            "Require: 100rel or timer towards a peer without PRACK or session timers.",
            "Unsupported header of the reply; turn the option off for that peer.",
        ),
        CodeInfo(
            421,
            "Extension Required",
            "The server needs an extension the request did not offer (Require lists it).",
            "A vendor that requires 100rel (PRACK) or timer from the softswitch.",
            "Require header of the reply; enable PRACK or session timers for that gateway.",
        ),
        CodeInfo(
            422,
            "Session Interval Too Small",
            "Session-Expires is below the peer's minimum (Min-SE in the reply, RFC 4028).",
            "The softswitch offers a short Session-Expires (e.g. 90 s) and the vendor "
            "wants more (often 1800); the INVITE should be retried with Min-SE.",
            "Min-SE of the 422 and the session-timer setting of the gateway; if calls "
            "fail instead of retrying, raise Session-Expires for that peer.",
        ),
        CodeInfo(
            423,
            "Interval Too Brief",
            "The registration expiry is shorter than the registrar allows (Min-Expires).",
            "Phones registering every 30-60 s to keep NAT open.",
            "Min-Expires of the reply; set the device's registration interval above it "
            "and keep NAT open with OPTIONS or CRLF keepalives.",
        ),
        CodeInfo(
            480,
            "Temporarily Unavailable",
            "The callee is known but cannot be reached now.",
            "Phone not registered, do-not-disturb, no answer at the vendor, or the vendor "
            "has no capacity/route right now. Many vendors use 480 for any transient "
            "failure; a Reason header (Q.850 cause) often says more.",
            "Registration of the callee (for on-net numbers), the Reason header's Q.850 "
            "cause, and the share of 480 per vendor over time.",
        ),
        CodeInfo(
            481,
            "Call/Transaction Does Not Exist",
            "The request matches no dialog or transaction (BYE, re-INVITE, ACK, CANCEL).",
            "The far side already ended the call (session timer, media timeout, restart), "
            "or NAT/Contact problems route in-dialog requests to the wrong place; a "
            "session refresh after the peer dropped the call.",
            "Who ended the call first in the ladder, session timer values, and whether "
            "in-dialog requests go to the Contact/Record-Route the peer advertised.",
        ),
        CodeInfo(
            482,
            "Loop Detected",
            "The request came back to a server it already passed.",
            "A routing loop between the softswitch and a vendor (each routes the prefix "
            "to the other), or a gateway routing to itself.",
            "Via headers (the same host twice), the route for the prefix on both sides.",
        ),
        CodeInfo(
            483,
            "Too Many Hops",
            "Max-Forwards reached 0.",
            "A routing loop through several hops, or a device sending a very low Max-Forwards.",
            "Via headers and Max-Forwards of the request; fix the loop.",
        ),
        CodeInfo(
            484,
            "Address Incomplete",
            "The dialled number is too short or incomplete.",
            "Missing country or area code, a prefix rewrite that cut digits, or overlap "
            "dialling from a PBX.",
            "Called number before and after the prefix rules; number length rules of the route.",
        ),
        CodeInfo(
            485,
            "Ambiguous",
            "The address matches several users.",
            "Rare; directory lookups at a PBX.",
            "The called number or name.",
        ),
        CodeInfo(
            486,
            "Busy Here",
            "The callee is busy.",
            "Real busy, or a vendor/gateway out of channels reporting busy, or a "
            "customer's concurrent-call limit on the softswitch.",
            "If one vendor returns many 486 on diverse numbers: its capacity, not the "
            "callees. Concurrent-call limits of the account and gateway.",
        ),
        CodeInfo(
            487,
            "Request Terminated",
            "The INVITE was cancelled (CANCEL or BYE before answer).",
            "The caller hung up before answer: normal. Many 487 right after the INVITE "
            "can be a customer's dialler or a failover timer that cancels too early.",
            "Time from INVITE to CANCEL; if constant and short, a timer (no-answer or "
            "PDD timeout) on the softswitch or the customer side.",
        ),
        CodeInfo(
            488,
            "Not Acceptable Here",
            "The SDP offer cannot be accepted: usually no codec in common.",
            "Codec mismatch (customer offers only G.729, vendor takes only G.711), "
            "transcoding not available or out of licences, T.38 refused, SRTP vs RTP, "
            "or ptime/annexb mismatch.",
            "Codecs offered in the INVITE against what the gateway allows; transcoding "
            "capacity/licences; for faxes, the T.38 setting on both legs.",
        ),
        CodeInfo(
            489,
            "Bad Event",
            "The Event package of a SUBSCRIBE/NOTIFY is not supported (RFC 6665).",
            "Phones subscribing to presence, message-summary or dialog events on a "
            "server that does not offer them. Harmless for calls.",
            "Nothing for calls; stop the device's subscriptions if they flood.",
        ),
        CodeInfo(
            491,
            "Request Pending",
            "A re-INVITE crossed another re-INVITE in the same dialog (glare).",
            "Both sides refresh or re-negotiate (hold, T.38, session timer) at once; "
            "each should retry after a random delay.",
            "Session refresh timers on both legs (the refresher parameter), and T.38 "
            "re-INVITEs from both sides.",
        ),
        CodeInfo(
            493,
            "Undecipherable",
            "An S/MIME body could not be decrypted.",
            "Rare on a softswitch.",
            "The peer's S/MIME settings.",
        ),
        CodeInfo(
            494,
            "Security Agreement Required",
            "The server requires a security mechanism agreement (RFC 3329).",
            "IMS networks; rare between carriers.",
            "Security-Server header of the reply.",
        ),
        # 5xx: server failure
        CodeInfo(
            500,
            "Server Internal Error",
            "The server failed while handling a valid request.",
            "A vendor or gateway software fault, a database or billing back end down, "
            "or a peer rejecting a re-INVITE it could not handle.",
            "Whether it comes from one peer only; its Retry-After and Warning headers.",
        ),
        CodeInfo(
            501,
            "Not Implemented",
            "The method is not supported at all.",
            "UPDATE, PRACK, INFO, REFER or MESSAGE sent to a peer that lacks them.",
            "The method that failed; disable that feature towards the peer.",
        ),
        CodeInfo(
            502,
            "Bad Gateway",
            "A gateway or proxy got an invalid response from the next hop.",
            "The vendor's upstream (its carrier or TDM side) failed.",
            "The vendor: escalate with Call-IDs and times.",
        ),
        CodeInfo(
            503,
            "Service Unavailable",
            "The server is overloaded, in maintenance, or has no way to serve the call.",
            "On a softswitch: no available route for the prefix, all routing gateways "
            "busy or at their capacity (concurrent-call or CPS limit), gateway locked, "
            "customer out of balance on switches that map it to 503, or licence limit. "
            "From a vendor: its capacity or its upstream.",
            "Whether the 503 came from the softswitch or a vendor (top Via/Server), the "
            "route and gateway limits for the prefix, balances, and Retry-After.",
        ),
        CodeInfo(
            504,
            "Server Time-out",
            "The server did not get a timely response from a server it contacted.",
            "A vendor's own upstream timed out, or DNS/ENUM/LNP lookups timed out.",
            "The vendor; lookup services used by the routing.",
        ),
        CodeInfo(
            505,
            "Version Not Supported",
            "The SIP version is not supported.",
            "Broken or fuzzing clients; never a legitimate peer.",
            "The source IP: usually a scanner.",
        ),
        CodeInfo(
            513,
            "Message Too Large",
            "The message is larger than the server accepts.",
            "Large INVITEs over UDP (many codecs, long headers), often fragmented.",
            "Message size; switch that peer to TCP or trim headers and codecs.",
        ),
        CodeInfo(
            580,
            "Precondition Failure",
            "A required precondition (QoS, RFC 3312) could not be met.",
            "IMS/VoLTE interconnects that require preconditions.",
            "The Require: precondition setting towards that peer.",
        ),
        # 6xx: global failure
        CodeInfo(
            600,
            "Busy Everywhere",
            "The callee is busy and no other place will take the call.",
            "Real busy from the terminating network.",
            "Nothing, unless one vendor returns it for most calls.",
        ),
        CodeInfo(
            603,
            "Decline",
            "The callee (or the network) refuses the call everywhere.",
            "Callee rejected the call, or a vendor's fraud/spam filter blocked the "
            "caller ID or destination.",
            "The caller ID sent (format, blocked ranges) and the destination prefix.",
        ),
        CodeInfo(
            604,
            "Does Not Exist Anywhere",
            "The number does not exist anywhere.",
            "Unassigned number at the terminating network.",
            "The dialled number and prefix rewrite rules.",
        ),
        CodeInfo(
            606,
            "Not Acceptable",
            "The callee accepts none of the offered session parameters anywhere.",
            "Codec or media type (video, T.38) refused by the terminating side.",
            "Codecs and media lines of the offer.",
        ),
        CodeInfo(
            607,
            "Unwanted",
            "The callee marked the call as unwanted (RFC 8197).",
            "Spam or robocall filters on the terminating side.",
            "The caller ID and call pattern of the customer.",
        ),
        CodeInfo(
            608,
            "Rejected",
            "An intermediary (analytics, call blocking) rejected the call (RFC 8688).",
            "Carrier spam filters against the caller ID or the traffic pattern.",
            "The caller ID attestation and the customer's traffic.",
        ),
    )
}

CLASSES: dict[int, CodeInfo] = {
    1: CodeInfo(
        100,
        "Provisional",
        "1xx: the request is being processed; not final.",
        "Progress reports from the next hops.",
        "Nothing by itself; look at the final response.",
    ),
    2: CodeInfo(
        200,
        "Success",
        "2xx: the request succeeded.",
        "Normal completion.",
        "Nothing.",
    ),
    3: CodeInfo(
        300,
        "Redirection",
        "3xx: the request should be tried elsewhere (see Contact).",
        "Redirect servers, forwarding, number portability.",
        "Whether the softswitch follows redirects; the Contact list.",
    ),
    4: CodeInfo(
        400,
        "Client Error",
        "4xx: the request failed at this server; another route may succeed.",
        "A problem with this request at this peer: auth, number, codec, limits.",
        "The exact code and any Reason/Warning header; compare with other vendors.",
    ),
    5: CodeInfo(
        500,
        "Server Error",
        "5xx: the server failed; another server may succeed.",
        "Overload, capacity or a fault at the peer.",
        "Which hop sent it, Retry-After, and whether failover to another route happened.",
    ),
    6: CodeInfo(
        600,
        "Global Failure",
        "6xx: no server will succeed; failover should stop.",
        "Definitive answer from the terminating side (busy, decline, no such number).",
        "Nothing to fix on the route, unless one vendor sends 6xx for most calls.",
    ),
}


def lookup(code: int) -> CodeInfo:
    """The entry for a code; an unlisted one gets its class's text under its own number."""
    info = CODES.get(code)
    if info is not None:
        return info
    klass = CLASSES.get(code // 100) if 100 <= code <= 699 else None
    if klass is None:
        return CodeInfo(
            code,
            "Invalid",
            "Not a SIP status code (valid codes are 100-699).",
            "A broken or hostile peer.",
            "The source of the message.",
        )
    return CodeInfo(code, klass.phrase, klass.meaning, klass.cause, klass.check)


def search(text: str) -> list[CodeInfo]:
    """Entries whose number starts with `text`, or whose texts have a word starting with it.

    Case-insensitive, sorted by code: "48" finds 480-489, "codec" finds 488, 606...,
    "nat" finds the NAT advice (and not "alternative").
    """
    needle = text.strip().lower()
    if not needle:
        return list(CODES.values())
    word = re.compile(r"(?<![a-z0-9])" + re.escape(needle))
    found = []
    for info in CODES.values():
        if str(info.code).startswith(needle):
            found.append(info)
            continue
        haystack = f"{info.phrase}\n{info.meaning}\n{info.cause}\n{info.check}".lower()
        if word.search(haystack):
            found.append(info)
    return sorted(found, key=lambda info: info.code)
