/*
 * vostui._speedups: the compiled twin of the per-message path.
 *
 *   pcap_records   pcap record iteration (vostui.net.capture.CaptureReader._pcap_records)
 *   FastDecoder    link layer, IPv4/IPv6 and UDP to Datagram (vostui.net.decoder.Decoder)
 *   parse_message  the start line and the headers a message is filed by
 *                  (vostui.sip.parser.parse_message), and the quick Via branch read
 *   parse_sdp      SDP bodies (vostui.sip.sdp.parse_sdp)
 *   parse_name_addr, parse_uri   From, To, Contact and URIs (vostui.sip.parser)
 *   no_signature   the common answer of vostui.sip.scanner.signatures: nothing
 *
 * The pure-Python modules are the reference. Every function here gives exactly what
 * its Python twin gives, or hands the input to the Python twin: anything unusual
 * (fragments, TCP, tunnels, ICMP, damaged headers; non-ASCII or control bytes,
 * folded lines, bare LF line ends, errors other than "not SIP") takes the Python path
 * for that packet or message. So the compiled path only has to be right on the
 * shapes it accepts, and the differential and fuzz tests check that it is.
 *
 * C99 and the CPython C API only, so that it builds with CentOS 7's gcc 4.8.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* ---- small helpers ------------------------------------------------------------ */

/* A str of ASCII bytes (the caller has checked they are ASCII). */
static PyObject *
ascii_str(const unsigned char *p, Py_ssize_t n)
{
    PyObject *s = PyUnicode_New(n, 127);
    if (s == NULL)
        return NULL;
    if (n)
        memcpy(PyUnicode_DATA(s), p, (size_t)n);
    return s;
}

/* Python's str.isspace() on the bytes the parser lets through (ASCII, no control bytes
 * other than TAB, CR, LF). */
static int
is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
strip_ws(const unsigned char *p, Py_ssize_t *start, Py_ssize_t *end)
{
    Py_ssize_t s = *start, e = *end;
    while (s < e && is_ws(p[s]))
        s++;
    while (e > s && is_ws(p[e - 1]))
        e--;
    *start = s;
    *end = e;
}

static unsigned char
lower_ascii(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Index of `needle` in p[0:n] (the whole match inside), or -1. */
static Py_ssize_t
find_bytes(const unsigned char *p, Py_ssize_t n, const char *needle, Py_ssize_t m)
{
    Py_ssize_t i;
    if (m == 0)
        return 0;
    for (i = 0; i + m <= n; i++) {
        const unsigned char *hit = memchr(p + i, needle[0], (size_t)(n - m - i + 1));
        if (hit == NULL)
            return -1;
        i = hit - p;
        if (memcmp(hit, needle, (size_t)m) == 0)
            return i;
    }
    return -1;
}

static int
all_decimal(const unsigned char *p, Py_ssize_t n)
{
    Py_ssize_t i;
    if (n <= 0)
        return 0;
    for (i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static unsigned long long
decimal_value(const unsigned char *p, Py_ssize_t n)
{
    unsigned long long v = 0;
    Py_ssize_t i;
    for (i = 0; i < n; i++)
        v = v * 10 + (unsigned long long)(p[i] - '0');
    return v;
}

/* Where a slot (the member descriptor of a __slots__ name) keeps its value in `obj`:
 * what the descriptor's own __set__/__get__ write and read, without the calls. NULL
 * for anything else (the descriptor is then called). */
static PyObject **
slot_address(PyObject *descr, PyObject *obj)
{
    PyMemberDef *member;
    if (Py_TYPE(descr) != &PyMemberDescr_Type)
        return NULL;
    member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || (member->flags & READONLY) ||
        !PyObject_TypeCheck(obj, PyDescr_TYPE(descr)))
        return NULL;
    return (PyObject **)((char *)obj + member->offset);
}

/* Set a slot of `obj`, as object.__setattr__ on a slot does. */
static int
set_slot(PyObject *descr, PyObject *obj, PyObject *value)
{
    PyObject **where = slot_address(descr, obj);
    if (where != NULL) {
        PyObject *old = *where;
        Py_INCREF(value);
        *where = value;
        Py_XDECREF(old);
        return 0;
    }
    return Py_TYPE(descr)->tp_descr_set(descr, obj, value);
}

static PyObject *
get_slot(PyObject *descr, PyObject *obj)
{
    PyObject **where = slot_address(descr, obj);
    if (where != NULL && *where != NULL) {
        Py_INCREF(*where);
        return *where;
    }
    return Py_TYPE(descr)->tp_descr_get(descr, obj, (PyObject *)Py_TYPE(obj));
}

/* The member descriptor `name` of `cls` (a slot of a slots class), new reference. */
static PyObject *
slot_descr(PyObject *cls, const char *name)
{
    PyObject *d = PyObject_GetAttrString(cls, name);
    if (d == NULL)
        return NULL;
    if (Py_TYPE(d)->tp_descr_set == NULL || Py_TYPE(d)->tp_descr_get == NULL) {
        PyErr_Format(PyExc_TypeError, "%s is not a slot", name);
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* ---- pcap records ------------------------------------------------------------- */

static unsigned long
u32_at(const unsigned char *p, int big)
{
    if (big)
        return ((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) |
               ((unsigned long)p[2] << 8) | (unsigned long)p[3];
    return ((unsigned long)p[3] << 24) | ((unsigned long)p[2] << 16) |
           ((unsigned long)p[1] << 8) | (unsigned long)p[0];
}

/* A tuple subclass instance (a NamedTuple) made as tuple.__new__(cls, items) makes it. */
static PyObject *
new_tuple_of(PyTypeObject *cls, PyObject **items, Py_ssize_t n)
{
    Py_ssize_t i;
    PyObject *t = cls->tp_alloc(cls, n);
    if (t == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        PyTuple_SET_ITEM(t, i, items[i]); /* steals */
    return t;
}

/*
 * pcap_records(frame_cls, buf, pos, rec_size, big_endian, divisor, linktype, limit,
 *              number) -> (frames, pos, number, bad_caplen)
 *
 * The loop of CaptureReader._pcap_records: the complete records of buf from pos on.
 * bad_caplen is -1, or the caplen of a record longer than limit (reading stops at it,
 * pos and number are where it starts, as the Python code leaves them).
 */
static PyObject *
pcap_records(PyObject *self, PyObject *args)
{
    PyObject *frame_cls, *linktype;
    Py_buffer view;
    Py_ssize_t pos, rec, number;
    int big;
    double divisor;
    unsigned long long limit;
    PyObject *frames;
    long long bad = -1;
    (void)self;

    if (!PyArg_ParseTuple(args, "O!y*nnpdO!Kn", &PyType_Type, &frame_cls, &view, &pos, &rec,
                          &big, &divisor, &PyLong_Type, &linktype, &limit, &number))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)frame_cls, &PyTuple_Type) || rec < 16 || pos < 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "pcap_records: bad arguments");
        return NULL;
    }
    frames = PyList_New(0);
    if (frames == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    {
        const unsigned char *buf = (const unsigned char *)view.buf;
        Py_ssize_t n = view.len;
        while (pos + rec <= n) {
            const unsigned char *h = buf + pos;
            unsigned long sec = u32_at(h, big), frac = u32_at(h + 4, big);
            unsigned long caplen = u32_at(h + 8, big), wirelen = u32_at(h + 12, big);
            Py_ssize_t end;
            PyObject *items[5], *frame;
            if ((unsigned long long)caplen > limit) {
                bad = (long long)caplen;
                break;
            }
            end = pos + rec + (Py_ssize_t)caplen;
            if (end > n)
                break;
            items[0] = PyFloat_FromDouble((double)sec + (double)frac / divisor);
            Py_INCREF(linktype);
            items[1] = linktype;
            items[2] = PyBytes_FromStringAndSize((const char *)buf + pos + rec, (Py_ssize_t)caplen);
            items[3] = PyLong_FromSsize_t(number + 1);
            items[4] = PyLong_FromUnsignedLong(wirelen);
            if (!items[0] || !items[2] || !items[3] || !items[4]) {
                int i;
                for (i = 0; i < 5; i++)
                    Py_XDECREF(items[i]);
                goto fail;
            }
            frame = new_tuple_of((PyTypeObject *)frame_cls, items, 5);
            if (frame == NULL) {
                int i;
                for (i = 0; i < 5; i++)
                    Py_DECREF(items[i]);
                goto fail;
            }
            if (PyList_Append(frames, frame) < 0) {
                Py_DECREF(frame);
                goto fail;
            }
            Py_DECREF(frame);
            number++;
            pos = end;
        }
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("NnnL", frames, pos, number, bad);
fail:
    PyBuffer_Release(&view);
    Py_DECREF(frames);
    return NULL;
}

/* ---- frame decoding ----------------------------------------------------------- */

static PyObject *str_stats, *str_v4names, *str_v6names, *str_udp;
static PyObject *one;

typedef struct {
    PyObject_HEAD
    PyObject *decoder;     /* the Python Decoder whose stats and name caches are used */
    PyObject *slow;        /* its class's decode_packet: the reference, for the rest */
    PyTypeObject *dg_type; /* Datagram */
    PyObject *dg_slots[8]; /* ts src sport dst dport transport payload frame */
    PyTypeObject *stats_type;
    PyObject *st_packets, *st_bytes, *st_udp, *st_datagrams;
} FastDecoder;

enum { FAST_OK = 0, FAST_SLOW = 1, FAST_ERROR = -1 };

static int
fd_traverse(FastDecoder *self, visitproc visit, void *arg)
{
    int i;
    Py_VISIT(self->decoder);
    Py_VISIT(self->slow);
    Py_VISIT(self->dg_type);
    for (i = 0; i < 8; i++)
        Py_VISIT(self->dg_slots[i]);
    Py_VISIT(self->stats_type);
    Py_VISIT(self->st_packets);
    Py_VISIT(self->st_bytes);
    Py_VISIT(self->st_udp);
    Py_VISIT(self->st_datagrams);
    return 0;
}

static int
fd_clear(FastDecoder *self)
{
    int i;
    Py_CLEAR(self->decoder);
    Py_CLEAR(self->slow);
    Py_CLEAR(self->dg_type);
    for (i = 0; i < 8; i++)
        Py_CLEAR(self->dg_slots[i]);
    Py_CLEAR(self->stats_type);
    Py_CLEAR(self->st_packets);
    Py_CLEAR(self->st_bytes);
    Py_CLEAR(self->st_udp);
    Py_CLEAR(self->st_datagrams);
    return 0;
}

static void
fd_dealloc(FastDecoder *self)
{
    PyObject_GC_UnTrack(self);
    fd_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static const char *const DG_FIELDS[8] = {"ts",    "src",       "sport",   "dst",
                                         "dport", "transport", "payload", "frame"};

/* FastDecoder(decoder, slow_decode_packet, datagram_cls, stats_cls) */
static int
fd_init(FastDecoder *self, PyObject *args, PyObject *kwds)
{
    PyObject *decoder, *slow, *dg_type, *stats_type;
    int i;
    (void)kwds;
    if (!PyArg_ParseTuple(args, "OOO!O!", &decoder, &slow, &PyType_Type, &dg_type, &PyType_Type,
                          &stats_type))
        return -1;
    fd_clear(self);
    Py_INCREF(decoder);
    self->decoder = decoder;
    Py_INCREF(slow);
    self->slow = slow;
    Py_INCREF(dg_type);
    self->dg_type = (PyTypeObject *)dg_type;
    for (i = 0; i < 8; i++) {
        self->dg_slots[i] = slot_descr(dg_type, DG_FIELDS[i]);
        if (self->dg_slots[i] == NULL)
            return -1;
    }
    Py_INCREF(stats_type);
    self->stats_type = (PyTypeObject *)stats_type;
    if (!(self->st_packets = slot_descr(stats_type, "packets")) ||
        !(self->st_bytes = slot_descr(stats_type, "bytes")) ||
        !(self->st_udp = slot_descr(stats_type, "udp")) ||
        !(self->st_datagrams = slot_descr(stats_type, "datagrams")))
        return -1;
    return 0;
}

/* stats.<field> += by, through the slot; -1 on error. */
static int
bump(PyObject *descr, PyObject *stats, PyObject *by)
{
    PyObject *old = get_slot(descr, stats), *sum;
    int rc;
    if (old == NULL)
        return -1;
    sum = PyNumber_Add(old, by);
    Py_DECREF(old);
    if (sum == NULL)
        return -1;
    rc = set_slot(descr, stats, sum);
    Py_DECREF(sum);
    return rc;
}

/* The decoder's name for a raw address: its cache (shared with the Python path, the
 * same clearing rule), or inet_ntoa/inet_ntop. New reference. */
static PyObject *
addr_name(PyObject *names, const unsigned char *raw, int v6)
{
    PyObject *key, *name;
    char text[INET6_ADDRSTRLEN + 1];
    key = PyBytes_FromStringAndSize((const char *)raw, v6 ? 16 : 4);
    if (key == NULL)
        return NULL;
    name = PyDict_GetItemWithError(names, key);
    if (name != NULL) {
        Py_DECREF(key);
        Py_INCREF(name);
        return name;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    if (v6) {
        if (inet_ntop(AF_INET6, raw, text, sizeof(text)) == NULL) {
            Py_DECREF(key);
            PyErr_SetString(PyExc_OSError, "inet_ntop failed");
            return NULL;
        }
    } else {
        snprintf(text, sizeof(text), "%u.%u.%u.%u", raw[0], raw[1], raw[2], raw[3]);
    }
    name = PyUnicode_FromString(text);
    if (name == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    if (PyDict_GET_SIZE(names) > 65536)
        PyDict_Clear(names);
    if (PyDict_SetItem(names, key, name) < 0) {
        Py_DECREF(key);
        Py_DECREF(name);
        return NULL;
    }
    Py_DECREF(key);
    return name;
}

static int VLAN_TAG(unsigned int t)
{
    return t == 0x8100 || t == 0x88A8 || t == 0x9100 || t == 0x9200 || t == 0x9300;
}

/* Where the IP header starts and its version (4 or 6); FAST_SLOW for anything else. */
static int
link_layer(long linktype, const unsigned char *d, Py_ssize_t n, Py_ssize_t *off, int *ipv)
{
    unsigned int etype, proto, arphrd;
    Py_ssize_t o;
    int tags;
    switch (linktype) {
    case 1: /* Ethernet */
        if (n < 14)
            return FAST_SLOW;
        etype = ((unsigned int)d[12] << 8) | d[13];
        o = 14;
        tags = 0;
        while (VLAN_TAG(etype)) {
            tags++;
            if (n < o + 4 || tags > 8)
                return FAST_SLOW;
            etype = ((unsigned int)d[o + 2] << 8) | d[o + 3];
            o += 4;
        }
        goto ethertype;
    case 113: /* Linux cooked */
        if (n < 16)
            return FAST_SLOW;
        proto = ((unsigned int)d[14] << 8) | d[15];
        arphrd = ((unsigned int)d[2] << 8) | d[3];
        o = 16;
        goto sll;
    case 276: /* Linux cooked v2 */
        if (n < 20)
            return FAST_SLOW;
        proto = ((unsigned int)d[0] << 8) | d[1];
        arphrd = ((unsigned int)d[8] << 8) | d[9];
        o = 20;
        goto sll;
    case 101:
    case 12:
    case 14:
        o = 0;
        goto raw;
    case 0:
    case 108: {
        unsigned long family;
        if (n < 4)
            return FAST_SLOW;
        family = u32_at(d, 0);
        if (family > 0xFFFF)
            family = u32_at(d, 1);
        *off = 4;
        if (family == 2) {
            *ipv = 4;
            return FAST_OK;
        }
        if (family == 10 || family == 24 || family == 28 || family == 30) {
            *ipv = 6;
            return FAST_OK;
        }
        return FAST_SLOW;
    }
    case 228:
        *off = 0;
        *ipv = 4;
        return FAST_OK;
    case 229:
        *off = 0;
        *ipv = 6;
        return FAST_OK;
    default:
        return FAST_SLOW;
    }
sll:
    if (arphrd == 512 || arphrd == 768 || arphrd == 769 || arphrd == 776 || arphrd == 778 ||
        arphrd == 823 || arphrd == 0xFFFE)
        goto raw;
    if (VLAN_TAG(proto)) {
        if (n < o + 4)
            return FAST_SLOW;
        etype = ((unsigned int)d[o + 2] << 8) | d[o + 3];
        o += 4;
    } else {
        etype = proto;
    }
ethertype:
    *off = o;
    if (etype == 0x0800) {
        *ipv = 4;
        return FAST_OK;
    }
    if (etype == 0x86DD) {
        *ipv = 6;
        return FAST_OK;
    }
    return FAST_SLOW;
raw:
    if (n <= o)
        return FAST_SLOW;
    *off = o;
    if (d[o] >> 4 == 4) {
        *ipv = 4;
        return FAST_OK;
    }
    if (d[o] >> 4 == 6) {
        *ipv = 6;
        return FAST_OK;
    }
    return FAST_SLOW;
}

/* One frame that is IPv4 or IPv6 (no fragment, no extension header) carrying a sound
 * UDP datagram: append its Datagram to out. FAST_SLOW for every other frame. */
static int
fast_decode(FastDecoder *self, PyObject *out, PyObject *ts, long linktype, PyObject *data,
            PyObject *number)
{
    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data), off = 0, start, end, ulen;
    const unsigned char *raw_src, *raw_dst;
    int ipv = 0, v6;
    PyObject *dict, *names, *stats, *src = NULL, *dst = NULL, *dg = NULL, *values[8];
    PyObject *len_obj;
    int i, rc = FAST_ERROR;

    if (link_layer(linktype, d, n, &off, &ipv) != FAST_OK)
        return FAST_SLOW;
    if (ipv == 4) {
        unsigned int vihl, ihl, total, frag;
        if (n - off < 20)
            return FAST_SLOW;
        vihl = d[off];
        ihl = (vihl & 15) << 2;
        if (vihl >> 4 != 4 || ihl < 20)
            return FAST_SLOW;
        total = ((unsigned int)d[off + 2] << 8) | d[off + 3];
        if (total == 0)
            total = (unsigned int)(n - off);
        else if (total < ihl)
            return FAST_SLOW;
        end = off + (Py_ssize_t)total;
        if (end > n)
            return FAST_SLOW;
        frag = (((unsigned int)d[off + 6] << 8) | d[off + 7]) & 0x3FFF;
        if (frag || d[off + 9] != 17)
            return FAST_SLOW;
        raw_src = d + off + 12;
        raw_dst = d + off + 16;
        start = off + ihl;
        v6 = 0;
    } else {
        unsigned int length;
        if (n - off < 40)
            return FAST_SLOW;
        if (d[off] >> 4 != 6)
            return FAST_SLOW;
        length = ((unsigned int)d[off + 4] << 8) | d[off + 5];
        if (d[off + 6] != 17)
            return FAST_SLOW;
        start = off + 40;
        end = length ? start + (Py_ssize_t)length : n;
        if (end > n)
            return FAST_SLOW;
        raw_src = d + off + 8;
        raw_dst = d + off + 24;
        v6 = 1;
    }
    if (end - start < 8)
        return FAST_SLOW;
    ulen = ((Py_ssize_t)d[start + 4] << 8) | d[start + 5];
    if (ulen < 8 || start + ulen > end)
        return FAST_SLOW;

    /* decode_packet's bookkeeping, then the names, as the Python code does them */
    dict = PyObject_GenericGetDict(self->decoder, NULL);
    if (dict == NULL)
        return FAST_ERROR;
    stats = PyDict_GetItemWithError(dict, str_stats);
    names = PyDict_GetItemWithError(dict, v6 ? str_v6names : str_v4names);
    if (stats == NULL || names == NULL || Py_TYPE(stats) != self->stats_type ||
        !PyDict_CheckExact(names)) {
        Py_DECREF(dict);
        return PyErr_Occurred() ? FAST_ERROR : FAST_SLOW;
    }
    Py_INCREF(stats);
    Py_INCREF(names);
    Py_DECREF(dict);
    len_obj = PyLong_FromSsize_t(n);
    if (len_obj == NULL)
        goto done;
    if (bump(self->st_packets, stats, one) < 0 || bump(self->st_bytes, stats, len_obj) < 0) {
        Py_DECREF(len_obj);
        goto done;
    }
    Py_DECREF(len_obj);
    src = addr_name(names, raw_src, v6);
    if (src == NULL)
        goto done;
    dst = addr_name(names, raw_dst, v6);
    if (dst == NULL)
        goto done;
    if (bump(self->st_udp, stats, one) < 0)
        goto done;
    values[0] = ts;
    values[1] = src;
    values[2] = PyLong_FromLong(((long)d[start] << 8) | d[start + 1]);
    values[3] = dst;
    values[4] = PyLong_FromLong(((long)d[start + 2] << 8) | d[start + 3]);
    values[5] = str_udp;
    values[6] = PyBytes_FromStringAndSize((const char *)d + start + 8, ulen - 8);
    values[7] = number;
    if (values[2] && values[4] && values[6]) {
        dg = self->dg_type->tp_alloc(self->dg_type, 0);
        if (dg != NULL) {
            for (i = 0; i < 8; i++) {
                if (set_slot(self->dg_slots[i], dg, values[i]) < 0) {
                    Py_CLEAR(dg);
                    break;
                }
            }
        }
    }
    Py_XDECREF(values[2]);
    Py_XDECREF(values[4]);
    Py_XDECREF(values[6]);
    if (dg == NULL)
        goto done;
    if (PyList_Append(out, dg) < 0 || bump(self->st_datagrams, stats, one) < 0)
        goto done;
    rc = FAST_OK;
done:
    Py_XDECREF(dg);
    Py_XDECREF(src);
    Py_XDECREF(dst);
    Py_DECREF(stats);
    Py_DECREF(names);
    return rc;
}

/* decode_packet(ts, linktype, data, number=0, wirelen=0) */
static PyObject *
fd_decode_parts(FastDecoder *self, PyObject *ts, PyObject *linktype, PyObject *data,
                PyObject *number, PyObject *wirelen)
{
    if (PyBytes_CheckExact(data) && PyLong_CheckExact(linktype) && PyLong_CheckExact(wirelen)) {
        int overflow = 0;
        long lt = PyLong_AsLongAndOverflow(linktype, &overflow);
        if (!overflow && !(lt == -1 && PyErr_Occurred())) {
            PyObject *out = PyList_New(0);
            int rc;
            if (out == NULL)
                return NULL;
            rc = fast_decode(self, out, ts, lt, data, number);
            if (rc == FAST_OK)
                return out;
            Py_DECREF(out);
            if (rc == FAST_ERROR)
                return NULL;
        }
        PyErr_Clear();
    }
    {
        PyObject *args[6] = {self->decoder, ts, linktype, data, number, wirelen};
        return PyObject_Vectorcall(self->slow, args, 6, NULL);
    }
}

static PyObject *
fd_decode(FastDecoder *self, PyObject *frame)
{
    Py_ssize_t size;
    PyObject *zero, *result;
    if (!PyTuple_Check(frame) || (size = PyTuple_GET_SIZE(frame)) < 4) {
        /* any other sequence: the reference path, which says what is wrong with it */
        PyObject *wirelen, *args[6];
        size = PySequence_Size(frame);
        if (size < 0)
            return NULL;
        if (size > 4)
            wirelen = PySequence_GetItem(frame, 4);
        else
            wirelen = PyLong_FromLong(0);
        if (wirelen == NULL)
            return NULL;
        args[0] = self->decoder;
        args[1] = PySequence_GetItem(frame, 0);
        args[2] = args[1] ? PySequence_GetItem(frame, 1) : NULL;
        args[3] = args[2] ? PySequence_GetItem(frame, 2) : NULL;
        args[4] = args[3] ? PySequence_GetItem(frame, 3) : NULL;
        args[5] = wirelen;
        result = args[4] ? PyObject_Vectorcall(self->slow, args, 6, NULL) : NULL;
        Py_XDECREF(args[1]);
        Py_XDECREF(args[2]);
        Py_XDECREF(args[3]);
        Py_XDECREF(args[4]);
        Py_DECREF(wirelen);
        return result;
    }
    if (size > 4)
        return fd_decode_parts(self, PyTuple_GET_ITEM(frame, 0), PyTuple_GET_ITEM(frame, 1),
                               PyTuple_GET_ITEM(frame, 2), PyTuple_GET_ITEM(frame, 3),
                               PyTuple_GET_ITEM(frame, 4));
    zero = PyLong_FromLong(0);
    if (zero == NULL)
        return NULL;
    result = fd_decode_parts(self, PyTuple_GET_ITEM(frame, 0), PyTuple_GET_ITEM(frame, 1),
                             PyTuple_GET_ITEM(frame, 2), PyTuple_GET_ITEM(frame, 3), zero);
    Py_DECREF(zero);
    return result;
}

static PyObject *
fd_decode_packet(FastDecoder *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"ts", "linktype", "data", "number", "wirelen", NULL};
    PyObject *ts, *linktype, *data, *number = NULL, *wirelen = NULL, *result;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|OO:decode_packet", kwlist, &ts, &linktype,
                                     &data, &number, &wirelen))
        return NULL;
    if (number == NULL)
        number = PyLong_FromLong(0);
    else
        Py_INCREF(number);
    if (wirelen == NULL)
        wirelen = PyLong_FromLong(0);
    else
        Py_INCREF(wirelen);
    if (number == NULL || wirelen == NULL) {
        Py_XDECREF(number);
        Py_XDECREF(wirelen);
        return NULL;
    }
    result = fd_decode_parts(self, ts, linktype, data, number, wirelen);
    Py_DECREF(number);
    Py_DECREF(wirelen);
    return result;
}

static PyMethodDef fd_methods[] = {
    {"decode", (PyCFunction)fd_decode, METH_O,
     "decode(frame): Decoder.decode, compiled for IPv4/IPv6 UDP frames"},
    {"decode_packet", (PyCFunction)(void (*)(void))fd_decode_packet,
     METH_VARARGS | METH_KEYWORDS,
     "decode_packet(ts, linktype, data, number=0, wirelen=0): Decoder.decode_packet"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject FastDecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "vostui._speedups.FastDecoder",
    .tp_basicsize = sizeof(FastDecoder),
};

/* ---- SIP messages ------------------------------------------------------------- */

#define MAX_HEADER_BYTES 65536
#define MAX_CSEQ 4294967295ULL

/* Set by configure_parser: the SipMessage class, the slots of a parsed message, the
 * UNSET marker, SipParseError and the Python parse_message (the reference). */
static PyTypeObject *msg_type;
static PyObject *unset, *parse_error, *py_parse, *py_quick_branch;
enum {
    S_IS_REQUEST,
    S_METHOD,
    S_STATUS,
    S_REASON,
    S_HEADERS,
    S_BODY,
    S_CALL_ID,
    S_CSEQ,
    S_CSEQ_METHOD,
    S_CONTENT_TYPE,
    S_CONTENT_LENGTH,
    S_RAW,
    S_FIRST,
    S_REQUEST_URI,
    S_SDP,
    S_UNSET0 /* the lazy fields left UNSET, from here to the end */
};
static const char *const MSG_SLOTS[] = {
    "is_request", "method",       "status",         "reason",        "headers",
    "body",       "call_id",      "cseq",           "cseq_method",   "content_type",
    "content_length", "raw",      "_first",         "_request_uri",  "_sdp",
    "_from_",     "_to",          "_vias",          "_top_via",      "_contacts",
    "_user_agent", "_expires",    "_session_expires", "_session_refresher", "_min_se",
    "_reason_header"};
#define N_MSG_SLOTS ((int)(sizeof(MSG_SLOTS) / sizeof(MSG_SLOTS[0])))
static PyObject *msg_slots[N_MSG_SLOTS];
static PyObject *str_call_id, *str_cseq, *str_content_type, *str_content_length, *str_via;
static PyObject *str_empty;

static const char *const COMPACT[26] = {
    "accept-contact", "referred-by",   "content-type",   "request-disposition",
    "content-encoding", "from",        NULL,             NULL,
    "call-id",        "reject-contact", "supported",     "content-length",
    "contact",        "identity-info", "event",          NULL,
    NULL,             "refer-to",      "subject",        "to",
    "allow-events",   "via",           NULL,             "session-expires",
    "identity",       NULL};

/* Canonical header names by their (stripped) spelling: a fixed table, so scanners that
 * invent names cannot grow it; a name that finds no free place is made each time. */
#define NAME_SLOTS 1024
#define NAME_MAX_LEN 40
typedef struct {
    unsigned char len;
    unsigned char raw[NAME_MAX_LEN];
    PyObject *name;
} NameEntry;
static NameEntry name_table[NAME_SLOTS];

static PyObject *
make_canonical(const unsigned char *p, Py_ssize_t n)
{
    unsigned char low[256];
    PyObject *s;
    Py_ssize_t i;
    if (n == 1) {
        unsigned char c = lower_ascii(p[0]);
        if (c >= 'a' && c <= 'z' && COMPACT[c - 'a'] != NULL)
            return PyUnicode_InternFromString(COMPACT[c - 'a']);
    }
    if (n > (Py_ssize_t)sizeof(low)) {
        s = ascii_str(p, n);
        if (s != NULL) {
            PyObject *lowered = PyObject_CallMethod(s, "lower", NULL);
            Py_DECREF(s);
            return lowered;
        }
        return NULL;
    }
    for (i = 0; i < n; i++)
        low[i] = lower_ascii(p[i]);
    s = ascii_str(low, n);
    if (s != NULL)
        PyUnicode_InternInPlace(&s);
    return s;
}

static PyObject *
canonical_name(const unsigned char *p, Py_ssize_t n)
{
    unsigned long h = 2166136261UL;
    Py_ssize_t i;
    int probe;
    if (n > NAME_MAX_LEN)
        return make_canonical(p, n);
    for (i = 0; i < n; i++)
        h = ((h ^ p[i]) * 16777619UL) & 0xFFFFFFFFUL;
    for (probe = 0; probe < 4; probe++) {
        NameEntry *e = &name_table[(h + (unsigned long)probe) % NAME_SLOTS];
        if (e->name == NULL) {
            PyObject *name = make_canonical(p, n);
            if (name == NULL)
                return NULL;
            e->len = (unsigned char)n;
            memcpy(e->raw, p, (size_t)n);
            Py_INCREF(name);
            e->name = name;
            return name;
        }
        if (e->len == n && memcmp(e->raw, p, (size_t)n) == 0) {
            Py_INCREF(e->name);
            return e->name;
        }
    }
    return make_canonical(p, n);
}

/* Interned method names: a switch sees a dozen. */
static PyObject *
method_str(const unsigned char *p, Py_ssize_t n)
{
    static const char *const known[] = {"INVITE",  "ACK",     "BYE",    "CANCEL", "OPTIONS",
                                        "REGISTER", "PRACK",  "UPDATE", "INFO",   "NOTIFY",
                                        "SUBSCRIBE", "MESSAGE", "REFER", "PUBLISH", NULL};
    static PyObject *interned[sizeof(known) / sizeof(known[0])];
    int i;
    for (i = 0; known[i] != NULL; i++) {
        if ((Py_ssize_t)strlen(known[i]) == n && memcmp(known[i], p, (size_t)n) == 0) {
            if (interned[i] == NULL) {
                interned[i] = PyUnicode_InternFromString(known[i]);
                if (interned[i] == NULL)
                    return NULL;
            }
            Py_INCREF(interned[i]);
            return interned[i];
        }
    }
    return ascii_str(p, n);
}

static PyObject *
fallback(PyObject *data)
{
    return PyObject_CallOneArg(py_parse, data);
}

/* The SipParseError("not_sip", repr(first[:40])) of the reference. */
static PyObject *
raise_not_sip(const unsigned char *p, Py_ssize_t first_len)
{
    PyObject *head, *shown, *exc;
    head = PyBytes_FromStringAndSize((const char *)p, first_len < 40 ? first_len : 40);
    if (head == NULL)
        return NULL;
    shown = PyObject_Repr(head);
    Py_DECREF(head);
    if (shown == NULL)
        return NULL;
    exc = PyObject_CallFunction(parse_error, "sN", "not_sip", shown);
    if (exc == NULL)
        return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

/* _to_int of the reference on ASCII text: a leading number ("600;refresher=uac"). */
static PyObject *
to_int(PyObject *text)
{
    const unsigned char *p = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), s = 0, e;
    const unsigned char *semi;
    if (n <= 12 && all_decimal(p, n))
        return PyLong_FromUnsignedLongLong(decimal_value(p, n));
    semi = memchr(p, ';', (size_t)n);
    e = semi ? semi - p : n;
    strip_ws(p, &s, &e);
    if (e - s <= 12 && all_decimal(p + s, e - s))
        return PyLong_FromUnsignedLongLong(decimal_value(p + s, e - s));
    Py_RETURN_NONE;
}

#define SLOW_PATH 1

/* The start line of p[0:n] (stripped): fills the fields, or SLOW_PATH. */
static int
start_line(const unsigned char *p, Py_ssize_t n, PyObject **fields)
{
    Py_ssize_t t0s, t0e, t1s, t1e, t2s, t2e, i;
    if (n >= 4 && lower_ascii(p[0]) == 's' && lower_ascii(p[1]) == 'i' &&
        lower_ascii(p[2]) == 'p' && p[3] == '/') {
        unsigned long status;
        /* SIP/2.0 NNN reason */
        for (i = 0; i < n && !is_ws(p[i]); i++)
            ;
        if (i != 7 || memcmp(p, "SIP/2.0", 7) != 0) {
            int j;
            static const char version[] = "sip/2.0";
            if (i != 7)
                return SLOW_PATH;
            for (j = 0; j < 7; j++)
                if (lower_ascii(p[j]) != (unsigned char)version[j])
                    return SLOW_PATH;
        }
        while (i < n && is_ws(p[i]))
            i++;
        t1s = i;
        while (i < n && !is_ws(p[i]))
            i++;
        t1e = i;
        if (t1e - t1s != 3 || !all_decimal(p + t1s, 3))
            return SLOW_PATH;
        status = (unsigned long)decimal_value(p + t1s, 3);
        if (status < 100 || status > 699)
            return SLOW_PATH;
        while (i < n && is_ws(p[i]))
            i++;
        fields[S_IS_REQUEST] = Py_False;
        Py_INCREF(Py_False);
        fields[S_STATUS] = PyLong_FromUnsignedLong(status);
        fields[S_REASON] = ascii_str(p + i, n - i);
        fields[S_REQUEST_URI] = Py_None;
        Py_INCREF(Py_None);
        return (fields[S_STATUS] && fields[S_REASON]) ? 0 : -1;
    }
    /* METHOD URI SIP/2.0: exactly three words here (more go the reference's way) */
    i = 0;
    t0s = i;
    while (i < n && !is_ws(p[i]))
        i++;
    t0e = i;
    while (i < n && is_ws(p[i]))
        i++;
    t1s = i;
    while (i < n && !is_ws(p[i]))
        i++;
    t1e = i;
    while (i < n && is_ws(p[i]))
        i++;
    t2s = i;
    while (i < n && !is_ws(p[i]))
        i++;
    t2e = i;
    if (i != n || t0e == t0s || t1e == t1s || t2e - t2s != 7)
        return SLOW_PATH;
    {
        static const char version[] = "sip/2.0";
        int j;
        for (j = 0; j < 7; j++)
            if (lower_ascii(p[t2s + j]) != (unsigned char)version[j])
                return SLOW_PATH;
    }
    if (t1e - t1s >= 2 && p[t1s] == '<' && p[t1e - 1] == '>') {
        t1s++;
        t1e--;
    }
    fields[S_IS_REQUEST] = Py_True;
    Py_INCREF(Py_True);
    fields[S_METHOD] = method_str(p + t0s, t0e - t0s);
    fields[S_STATUS] = PyLong_FromLong(0);
    fields[S_REASON] = str_empty;
    Py_INCREF(str_empty);
    fields[S_REQUEST_URI] = ascii_str(p + t1s, t1e - t1s);
    return (fields[S_METHOD] && fields[S_STATUS] && fields[S_REQUEST_URI]) ? 0 : -1;
}

/* The header lines of p[start:end] to (canonical name, value) pairs; SLOW_PATH for a
 * folded line. */
static int
split_headers(const unsigned char *p, Py_ssize_t start, Py_ssize_t end, PyObject *headers)
{
    Py_ssize_t ls = start;
    while (ls <= end) {
        const unsigned char *nl = memchr(p + ls, '\n', (size_t)(end - ls));
        Py_ssize_t le = nl ? nl - p : end;
        if (le > ls) {
            const unsigned char *colon;
            if (p[ls] == ' ' || p[ls] == '\t')
                return SLOW_PATH;
            colon = memchr(p + ls, ':', (size_t)(le - ls));
            if (colon != NULL) {
                Py_ssize_t ns = ls, ne = colon - p, vs = ne + 1, ve = le;
                strip_ws(p, &ns, &ne);
                if (ne > ns) {
                    PyObject *name, *value, *pair;
                    strip_ws(p, &vs, &ve);
                    name = canonical_name(p + ns, ne - ns);
                    if (name == NULL)
                        return -1;
                    value = ascii_str(p + vs, ve - vs);
                    if (value == NULL) {
                        Py_DECREF(name);
                        return -1;
                    }
                    pair = PyTuple_New(2);
                    if (pair == NULL) {
                        Py_DECREF(name);
                        Py_DECREF(value);
                        return -1;
                    }
                    PyTuple_SET_ITEM(pair, 0, name);
                    PyTuple_SET_ITEM(pair, 1, value);
                    if (PyList_Append(headers, pair) < 0) {
                        Py_DECREF(pair);
                        return -1;
                    }
                    Py_DECREF(pair);
                }
            }
        }
        ls = le + 1;
    }
    return 0;
}

/* The content type's media type: full.partition(";")[0].strip().lower() */
static PyObject *
media_type(PyObject *full)
{
    const unsigned char *p = PyUnicode_1BYTE_DATA(full);
    Py_ssize_t n = PyUnicode_GET_LENGTH(full), s = 0, e, i;
    const unsigned char *semi = memchr(p, ';', (size_t)n);
    unsigned char low[128];
    e = semi ? semi - p : n;
    strip_ws(p, &s, &e);
    if (e - s > (Py_ssize_t)sizeof(low)) {
        PyObject *raw = ascii_str(p + s, e - s), *lowered;
        if (raw == NULL)
            return NULL;
        lowered = PyObject_CallMethod(raw, "lower", NULL);
        Py_DECREF(raw);
        return lowered;
    }
    for (i = s; i < e; i++)
        low[i - s] = lower_ascii(p[i]);
    if (e - s == 15 && memcmp(low, "application/sdp", 15) == 0) {
        static PyObject *sdp_type;
        if (sdp_type == NULL && (sdp_type = PyUnicode_InternFromString("application/sdp")) == NULL)
            return NULL;
        Py_INCREF(sdp_type);
        return sdp_type;
    }
    return ascii_str(low, e - s);
}

static PyObject *
parse_message(PyObject *module, PyObject *data)
{
    const unsigned char *p;
    Py_ssize_t n, limit, first_len, crlf, i, line_end, ls, le, body_start, body_end;
    const unsigned char *nl;
    PyObject *fields[S_UNSET0];
    PyObject *headers = NULL, *first = NULL, *msg = NULL, *cseq_text, *length_text, *full_type;
    int rc, k;
    (void)module;

    if (msg_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_parser was not called");
        return NULL;
    }
    if (!PyBytes_CheckExact(data) || PyBytes_GET_SIZE(data) == 0)
        return fallback(data);
    p = (const unsigned char *)PyBytes_AS_STRING(data);
    n = PyBytes_GET_SIZE(data);
    if (p[0] == '\r' || p[0] == '\n' || p[0] == ' ' || p[0] == '\t')
        return fallback(data);
    limit = n < MAX_HEADER_BYTES ? n : MAX_HEADER_BYTES;
    nl = memchr(p, '\n', (size_t)limit);
    first_len = nl ? nl - p : limit;
    /* "SIP/" in the first line, in any case (b"SIP/" in first.upper()) */
    {
        int found = 0;
        for (i = 0; i + 4 <= first_len; i++) {
            if (lower_ascii(p[i]) == 's' && lower_ascii(p[i + 1]) == 'i' &&
                lower_ascii(p[i + 2]) == 'p' && p[i + 3] == '/') {
                found = 1;
                break;
            }
        }
        if (!found)
            return raise_not_sip(p, first_len);
    }
    /* the header block ends at the first CRLFCRLF, with no bare-LF blank line before */
    crlf = find_bytes(p, limit, "\r\n\r\n", 4);
    if (crlf < 0 || find_bytes(p, crlf, "\n\n", 2) >= 0 || find_bytes(p, crlf, "\n\r\n", 3) >= 0)
        return fallback(data);
    for (i = 0; i < crlf; i++) {
        unsigned char c = p[i];
        if (c >= 0x80 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
            return fallback(data);
    }
    body_start = crlf + 4;

    for (k = 0; k < S_UNSET0; k++)
        fields[k] = NULL;
    line_end = nl && nl - p < crlf ? nl - p : crlf;
    ls = 0;
    le = line_end;
    strip_ws(p, &ls, &le);
    rc = start_line(p + ls, le - ls, fields);
    if (rc != 0)
        goto slow_or_fail;

    headers = PyList_New(0);
    if (headers == NULL)
        goto fail;
    if (line_end < crlf) {
        rc = split_headers(p, line_end + 1, crlf, headers);
        if (rc != 0)
            goto slow_or_fail;
    }
    /* the first value of each header: dict(reversed(headers)) */
    first = PyDict_New();
    if (first == NULL)
        goto fail;
    for (i = PyList_GET_SIZE(headers) - 1; i >= 0; i--) {
        PyObject *pair = PyList_GET_ITEM(headers, i);
        if (PyDict_SetItem(first, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1)) < 0)
            goto fail;
    }
    fields[S_CALL_ID] = PyDict_GetItemWithError(first, str_call_id);
    if (fields[S_CALL_ID] == NULL || PyUnicode_GET_LENGTH(fields[S_CALL_ID]) == 0) {
        fields[S_CALL_ID] = NULL;
        rc = SLOW_PATH;
        goto slow_or_fail;
    }
    Py_INCREF(fields[S_CALL_ID]);
    cseq_text = PyDict_GetItemWithError(first, str_cseq);
    if (cseq_text == NULL) {
        rc = SLOW_PATH;
        goto slow_or_fail;
    }
    {
        /* "number method": two words, the number 0 to 2**32-1 in at most 12 digits */
        const unsigned char *c = PyUnicode_1BYTE_DATA(cseq_text);
        Py_ssize_t cn = PyUnicode_GET_LENGTH(cseq_text), j = 0, as, ae, bs, be;
        unsigned long long number;
        while (j < cn && is_ws(c[j]))
            j++;
        as = j;
        while (j < cn && !is_ws(c[j]))
            j++;
        ae = j;
        while (j < cn && is_ws(c[j]))
            j++;
        bs = j;
        while (j < cn && !is_ws(c[j]))
            j++;
        be = j;
        while (j < cn && is_ws(c[j]))
            j++;
        if (j != cn || be == bs || ae - as > 12 || !all_decimal(c + as, ae - as)) {
            rc = SLOW_PATH;
            goto slow_or_fail;
        }
        number = decimal_value(c + as, ae - as);
        if (number > MAX_CSEQ) {
            rc = SLOW_PATH;
            goto slow_or_fail;
        }
        fields[S_CSEQ] = PyLong_FromUnsignedLongLong(number);
        fields[S_CSEQ_METHOD] = method_str(c + bs, be - bs);
        if (fields[S_CSEQ] == NULL || fields[S_CSEQ_METHOD] == NULL)
            goto fail;
    }
    if (fields[S_METHOD] == NULL) { /* a response: its CSeq method */
        fields[S_METHOD] = fields[S_CSEQ_METHOD];
        Py_INCREF(fields[S_METHOD]);
    }
    full_type = PyDict_GetItemWithError(first, str_content_type);
    if (full_type != NULL && PyUnicode_GET_LENGTH(full_type) > 0) {
        fields[S_CONTENT_TYPE] = media_type(full_type);
        if (fields[S_CONTENT_TYPE] == NULL)
            goto fail;
    } else {
        if (PyErr_Occurred())
            goto fail;
        fields[S_CONTENT_TYPE] = str_empty;
        Py_INCREF(str_empty);
    }
    length_text = PyDict_GetItemWithError(first, str_content_length);
    if (length_text != NULL) {
        fields[S_CONTENT_LENGTH] = to_int(length_text);
        if (fields[S_CONTENT_LENGTH] == NULL)
            goto fail;
    } else {
        if (PyErr_Occurred())
            goto fail;
        fields[S_CONTENT_LENGTH] = Py_None;
        Py_INCREF(Py_None);
    }
    body_end = n;
    if (fields[S_CONTENT_LENGTH] != Py_None) {
        /* data[body_start : body_start + content_length] */
        unsigned long long length = PyLong_AsUnsignedLongLong(fields[S_CONTENT_LENGTH]);
        if (length == (unsigned long long)-1 && PyErr_Occurred())
            goto fail;
        if (length < (unsigned long long)(n - body_start))
            body_end = body_start + (Py_ssize_t)length;
    }
    fields[S_BODY] = PyBytes_FromStringAndSize((const char *)p + body_start, body_end - body_start);
    if (fields[S_BODY] == NULL)
        goto fail;
    fields[S_HEADERS] = PyList_AsTuple(headers);
    if (fields[S_HEADERS] == NULL)
        goto fail;
    fields[S_RAW] = data;
    Py_INCREF(data);
    fields[S_FIRST] = first;
    first = NULL;
    fields[S_SDP] = PyBytes_GET_SIZE(fields[S_BODY]) ? unset : Py_None;
    Py_INCREF(fields[S_SDP]);

    msg = msg_type->tp_alloc(msg_type, 0);
    if (msg == NULL)
        goto fail;
    for (k = 0; k < N_MSG_SLOTS; k++) {
        if (set_slot(msg_slots[k], msg, k < S_UNSET0 ? fields[k] : unset) < 0) {
            Py_CLEAR(msg);
            goto fail;
        }
    }
    for (k = 0; k < S_UNSET0; k++)
        Py_XDECREF(fields[k]);
    Py_DECREF(headers);
    return msg;

slow_or_fail:
    if (rc == SLOW_PATH) {
        for (k = 0; k < S_UNSET0; k++)
            Py_XDECREF(fields[k]);
        Py_XDECREF(headers);
        Py_XDECREF(first);
        if (PyErr_Occurred())
            return NULL;
        return fallback(data);
    }
fail:
    for (k = 0; k < S_UNSET0; k++)
        Py_XDECREF(fields[k]);
    Py_XDECREF(headers);
    Py_XDECREF(first);
    return NULL;
}

/* branch_of(via): quick_branch_py of vostui.sip.parser, the quick read of the branch of
 * a top Via in the usual shape (`SIP/2.0/UDP h:p;branch=z9hG4bK..;rport`: one
 * ";branch=", no comma, no quote, one "branch" in any case); None when the value needs
 * the whole parse. Text that is not ASCII goes to the Python twin. */
static PyObject *
branch_of(PyObject *module, PyObject *value)
{
    const unsigned char *p;
    Py_ssize_t n, i, start = -1, count = 0, s, e;
    (void)module;
    if (!PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(value)) {
        if (py_quick_branch == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "configure_parser was not called");
            return NULL;
        }
        return PyObject_CallOneArg(py_quick_branch, value);
    }
    p = PyUnicode_1BYTE_DATA(value);
    n = PyUnicode_GET_LENGTH(value);
    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == ',' || c == '"')
            Py_RETURN_NONE;
        if ((c == 'b' || c == 'B') && i + 6 <= n && lower_ascii(p[i + 1]) == 'r' &&
            lower_ascii(p[i + 2]) == 'a' && lower_ascii(p[i + 3]) == 'n' &&
            lower_ascii(p[i + 4]) == 'c' && lower_ascii(p[i + 5]) == 'h') {
            count++;
            if (start < 0 && i >= 1 && p[i - 1] == ';' && i + 7 <= n &&
                memcmp(p + i, "branch=", 7) == 0)
                start = i + 7;
        }
    }
    if (start < 0 || count != 1)
        Py_RETURN_NONE;
    for (e = start; e < n && p[e] != ';'; e++)
        ;
    s = start;
    /* str.strip(): every whitespace of an ASCII str */
    while (s < e && (is_ws(p[s]) || p[s] == 0x0b || p[s] == 0x0c || (p[s] >= 0x1c && p[s] <= 0x1f)))
        s++;
    while (e > s && (is_ws(p[e - 1]) || p[e - 1] == 0x0b || p[e - 1] == 0x0c ||
                     (p[e - 1] >= 0x1c && p[e - 1] <= 0x1f)))
        e--;
    return ascii_str(p + s, e - s);
}

/* configure_parser(SipMessage, UNSET, SipParseError, parse_message_py, quick_branch_py) */
static PyObject *
configure_parser(PyObject *module, PyObject *args)
{
    PyObject *cls, *marker, *err, *py, *quick;
    int k;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!OOOO", &PyType_Type, &cls, &marker, &err, &py, &quick))
        return NULL;
    for (k = 0; k < N_MSG_SLOTS; k++) {
        PyObject *d = slot_descr(cls, MSG_SLOTS[k]);
        if (d == NULL)
            return NULL;
        Py_XSETREF(msg_slots[k], d);
    }
    Py_INCREF(cls);
    Py_XSETREF(msg_type, (PyTypeObject *)cls);
    Py_INCREF(marker);
    Py_XSETREF(unset, marker);
    Py_INCREF(err);
    Py_XSETREF(parse_error, err);
    Py_INCREF(py);
    Py_XSETREF(py_parse, py);
    Py_INCREF(quick);
    Py_XSETREF(py_quick_branch, quick);
    Py_RETURN_NONE;
}

/* ---- SDP ---------------------------------------------------------------------- */

/* Set by configure_sdp: Media and Sdp, their slots, and the Python parse_sdp. */
static PyTypeObject *media_type_cls, *sdp_type_cls;
static PyObject *py_parse_sdp;
static const char *const MEDIA_SLOTS[8] = {"kind",      "port",      "proto",  "payloads",
                                           "connection", "direction", "rtpmap", "fmtp"};
static const char *const SDP_SLOTS[3] = {"origin", "session_connection", "media"};
static PyObject *media_slots[8], *sdp_slots[3];
static PyObject *directions[4]; /* sendrecv sendonly recvonly inactive */

/* str.isspace() of an ASCII character */
static int
is_pyspace(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static void
strip_py(const unsigned char *p, Py_ssize_t *start, Py_ssize_t *end)
{
    Py_ssize_t s = *start, e = *end;
    while (s < e && is_pyspace(p[s]))
        s++;
    while (e > s && is_pyspace(p[e - 1]))
        e--;
    *start = s;
    *end = e;
}

/* The i-th whitespace-separated word of p[s:e] (str.split()), or 0 when there is none. */
static int
word_at(const unsigned char *p, Py_ssize_t s, Py_ssize_t e, int index, Py_ssize_t *ws,
        Py_ssize_t *we)
{
    int k = 0;
    while (s < e) {
        Py_ssize_t a;
        while (s < e && is_pyspace(p[s]))
            s++;
        if (s >= e)
            break;
        a = s;
        while (s < e && !is_pyspace(p[s]))
            s++;
        if (k == index) {
            *ws = a;
            *we = s;
            return 1;
        }
        k++;
    }
    return 0;
}

static PyObject *
direction_of(const unsigned char *p, Py_ssize_t n)
{
    static const char *const names[4] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    int i;
    if (n != 8)
        return NULL;
    for (i = 0; i < 4; i++)
        if (memcmp(p, names[i], 8) == 0)
            return directions[i];
    return NULL;
}

typedef struct {
    PyObject *kind, *proto, *payloads, *connection, *direction, *rtpmap, *fmtp;
    unsigned long long port;
} MediaDraft;

static void
draft_clear(MediaDraft *d)
{
    Py_XDECREF(d->kind);
    Py_XDECREF(d->proto);
    Py_XDECREF(d->payloads);
    Py_XDECREF(d->connection);
    Py_XDECREF(d->rtpmap);
    Py_XDECREF(d->fmtp);
    /* direction is borrowed (one of `directions`) */
}

/* _MediaDraft(value): `audio 49170/2 RTP/AVP 0 8 101` */
static int
draft_init(MediaDraft *d, const unsigned char *p, Py_ssize_t s, Py_ssize_t e)
{
    Py_ssize_t ws, we, i;
    unsigned char low[64];
    int k;
    memset(d, 0, sizeof(*d));
    if (!(d->rtpmap = PyList_New(0)) || !(d->fmtp = PyList_New(0)))
        return -1;
    if (word_at(p, s, e, 0, &ws, &we)) {
        if (we - ws <= (Py_ssize_t)sizeof(low)) {
            for (i = ws; i < we; i++)
                low[i - ws] = lower_ascii(p[i]);
            d->kind = ascii_str(low, we - ws);
        } else {
            PyObject *raw = ascii_str(p + ws, we - ws);
            d->kind = raw ? PyObject_CallMethod(raw, "lower", NULL) : NULL;
            Py_XDECREF(raw);
        }
    } else {
        d->kind = str_empty;
        Py_INCREF(str_empty);
    }
    if (d->kind == NULL)
        return -1;
    if (word_at(p, s, e, 1, &ws, &we)) {
        const unsigned char *slash = memchr(p + ws, '/', (size_t)(we - ws));
        Py_ssize_t end = slash ? slash - p : we;
        d->port = (end - ws <= 10 && all_decimal(p + ws, end - ws))
                      ? decimal_value(p + ws, end - ws)
                      : 0;
    }
    if (word_at(p, s, e, 2, &ws, &we)) {
        int rtp = 0;
        d->proto = ascii_str(p + ws, we - ws);
        for (i = ws; i + 3 <= we; i++)
            if (lower_ascii(p[i]) == 'r' && lower_ascii(p[i + 1]) == 't' &&
                lower_ascii(p[i + 2]) == 'p')
                rtp = 1;
        if (d->proto == NULL)
            return -1;
        if (rtp) {
            PyObject *list = PyList_New(0);
            if (list == NULL)
                return -1;
            for (k = 3; word_at(p, s, e, k, &ws, &we); k++) {
                if (we - ws <= 3 && all_decimal(p + ws, we - ws)) {
                    PyObject *pt = PyLong_FromLong((long)decimal_value(p + ws, we - ws));
                    if (pt == NULL || PyList_Append(list, pt) < 0) {
                        Py_XDECREF(pt);
                        Py_DECREF(list);
                        return -1;
                    }
                    Py_DECREF(pt);
                }
            }
            d->payloads = PyList_AsTuple(list);
            Py_DECREF(list);
        } else {
            d->payloads = PyTuple_New(0);
        }
    } else {
        d->proto = str_empty;
        Py_INCREF(str_empty);
        d->payloads = PyTuple_New(0);
    }
    return d->payloads ? 0 : -1;
}

/* `a=rtpmap:0 PCMU/8000`, `a=fmtp:101 0-15`: (pt, text) appended when pt is 1-3 digits */
static int
pt_line(PyObject *list, const unsigned char *p, Py_ssize_t s, Py_ssize_t e)
{
    const unsigned char *space = memchr(p + s, ' ', (size_t)(e - s));
    Py_ssize_t pe = space ? space - p : e, ts = space ? pe + 1 : e, te = e;
    PyObject *pt, *text, *pair;
    if (!(pe - s <= 3 && all_decimal(p + s, pe - s)))
        return 0;
    strip_py(p, &ts, &te);
    pt = PyLong_FromLong((long)decimal_value(p + s, pe - s));
    text = ascii_str(p + ts, te - ts);
    if (pt == NULL || text == NULL) {
        Py_XDECREF(pt);
        Py_XDECREF(text);
        return -1;
    }
    pair = PyTuple_Pack(2, pt, text);
    Py_DECREF(pt);
    Py_DECREF(text);
    if (pair == NULL || PyList_Append(list, pair) < 0) {
        Py_XDECREF(pair);
        return -1;
    }
    Py_DECREF(pair);
    return 0;
}

/* _connection_address: `IN IP4 224.2.1.1/127/3` -> `224.2.1.1` */
static PyObject *
connection_address(const unsigned char *p, Py_ssize_t s, Py_ssize_t e)
{
    Py_ssize_t ws, we;
    const unsigned char *slash;
    if (!word_at(p, s, e, 2, &ws, &we)) {
        Py_INCREF(str_empty);
        return str_empty;
    }
    slash = memchr(p + ws, '/', (size_t)(we - ws));
    return ascii_str(p + ws, (slash ? slash - p : we) - ws);
}

static PyObject *
new_slotted(PyTypeObject *cls, PyObject **slots, PyObject **values, int n)
{
    int i;
    PyObject *obj = cls->tp_alloc(cls, 0);
    if (obj == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (set_slot(slots[i], obj, values[i]) < 0) {
            Py_DECREF(obj);
            return NULL;
        }
    }
    return obj;
}

/* parse_sdp(body): vostui.sip.sdp.parse_sdp for ASCII bodies; the rest to Python. */
static PyObject *
parse_sdp(PyObject *module, PyObject *body)
{
    const unsigned char *p;
    Py_ssize_t n, i, ls;
    PyObject *origin = NULL, *session_connection = NULL, *session_direction, *result = NULL;
    MediaDraft *drafts = NULL;
    Py_ssize_t ndrafts = 0, cap = 0;
    (void)module;
    if (sdp_type_cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_sdp was not called");
        return NULL;
    }
    if (!PyBytes_CheckExact(body))
        return PyObject_CallOneArg(py_parse_sdp, body);
    p = (const unsigned char *)PyBytes_AS_STRING(body);
    n = PyBytes_GET_SIZE(body);
    for (i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return PyObject_CallOneArg(py_parse_sdp, body);
    origin = str_empty;
    Py_INCREF(origin);
    session_connection = str_empty;
    Py_INCREF(session_connection);
    session_direction = directions[0];
    ls = 0;
    while (ls <= n) {
        const unsigned char *nl = memchr(p + ls, '\n', (size_t)(n - ls));
        Py_ssize_t le = nl ? nl - p : n, s = ls;
        MediaDraft *current = ndrafts ? &drafts[ndrafts - 1] : NULL;
        ls = le + 1;
        if (s < le && (p[s] == ' ' || p[s] == '\t'))
            while (s < le && is_pyspace(p[s]))
                s++;
        if (le - s < 2 || p[s + 1] != '=')
            continue;
        if (p[s] == 'a') {
            Py_ssize_t vs = s + 2, ve = le;
            PyObject *dir;
            while (ve > vs && is_pyspace(p[ve - 1]))
                ve--;
            dir = direction_of(p + vs, ve - vs);
            if (current == NULL) {
                if (dir != NULL)
                    session_direction = dir;
            } else if (ve - vs >= 7 && memcmp(p + vs, "rtpmap:", 7) == 0) {
                if (pt_line(current->rtpmap, p, vs + 7, ve) < 0)
                    goto done;
            } else if (ve - vs >= 5 && memcmp(p + vs, "fmtp:", 5) == 0) {
                if (pt_line(current->fmtp, p, vs + 5, ve) < 0)
                    goto done;
            } else if (dir != NULL) {
                current->direction = dir;
            }
        } else if (p[s] == 'm') {
            if (ndrafts == cap) {
                MediaDraft *grown;
                cap = cap ? cap * 2 : 4;
                grown = PyMem_Realloc(drafts, (size_t)cap * sizeof(MediaDraft));
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                drafts = grown;
            }
            ndrafts++;
            if (draft_init(&drafts[ndrafts - 1], p, s + 2, le) < 0)
                goto done;
        } else if (p[s] == 'c') {
            PyObject *address = connection_address(p, s + 2, le);
            if (address == NULL)
                goto done;
            if (current == NULL)
                Py_XSETREF(session_connection, address);
            else
                Py_XSETREF(current->connection, address);
        } else if (p[s] == 'o' && PyUnicode_GET_LENGTH(origin) == 0) {
            Py_ssize_t os = s + 2, oe = le;
            PyObject *text;
            strip_py(p, &os, &oe);
            text = ascii_str(p + os, oe - os);
            if (text == NULL)
                goto done;
            Py_XSETREF(origin, text);
        }
    }
    {
        PyObject *media = PyTuple_New(ndrafts), *values[8], *sdp_values[3];
        if (media == NULL)
            goto done;
        for (i = 0; i < ndrafts; i++) {
            MediaDraft *d = &drafts[i];
            PyObject *one_media;
            values[0] = d->kind;
            values[1] = PyLong_FromUnsignedLongLong(d->port);
            values[2] = d->proto;
            values[3] = d->payloads;
            values[4] = (d->connection && PyUnicode_GET_LENGTH(d->connection)) ? d->connection
                                                                               : session_connection;
            values[5] = d->direction ? d->direction : session_direction;
            values[6] = PyList_AsTuple(d->rtpmap);
            values[7] = PyList_AsTuple(d->fmtp);
            one_media = (values[1] && values[6] && values[7])
                            ? new_slotted(media_type_cls, media_slots, values, 8)
                            : NULL;
            Py_XDECREF(values[1]);
            Py_XDECREF(values[6]);
            Py_XDECREF(values[7]);
            if (one_media == NULL) {
                Py_DECREF(media);
                goto done;
            }
            PyTuple_SET_ITEM(media, i, one_media);
        }
        sdp_values[0] = origin;
        sdp_values[1] = session_connection;
        sdp_values[2] = media;
        result = new_slotted(sdp_type_cls, sdp_slots, sdp_values, 3);
        Py_DECREF(media);
    }
done:
    for (i = 0; i < ndrafts; i++)
        draft_clear(&drafts[i]);
    PyMem_Free(drafts);
    Py_XDECREF(origin);
    Py_XDECREF(session_connection);
    return result;
}

/* configure_sdp(Media, Sdp, parse_sdp_py) */
static PyObject *
configure_sdp(PyObject *module, PyObject *args)
{
    PyObject *media_cls, *sdp_cls, *py;
    int k;
    static const char *const names[4] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    (void)module;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyType_Type, &media_cls, &PyType_Type, &sdp_cls, &py))
        return NULL;
    for (k = 0; k < 8; k++) {
        PyObject *d = slot_descr(media_cls, MEDIA_SLOTS[k]);
        if (d == NULL)
            return NULL;
        Py_XSETREF(media_slots[k], d);
    }
    for (k = 0; k < 3; k++) {
        PyObject *d = slot_descr(sdp_cls, SDP_SLOTS[k]);
        if (d == NULL)
            return NULL;
        Py_XSETREF(sdp_slots[k], d);
    }
    for (k = 0; k < 4; k++) {
        if (directions[k] == NULL && !(directions[k] = PyUnicode_InternFromString(names[k])))
            return NULL;
    }
    Py_INCREF(media_cls);
    Py_XSETREF(media_type_cls, (PyTypeObject *)media_cls);
    Py_INCREF(sdp_cls);
    Py_XSETREF(sdp_type_cls, (PyTypeObject *)sdp_cls);
    Py_INCREF(py);
    Py_XSETREF(py_parse_sdp, py);
    Py_RETURN_NONE;
}

/* ---- From, To, Contact and URIs ----------------------------------------------- */

/* Set by configure_addresses: Uri and NameAddr, their slots, the Python twins. */
static PyTypeObject *uri_cls, *name_addr_cls;
static const char *const URI_SLOTS[6] = {"scheme", "user", "host", "port", "params", "raw"};
static const char *const NAME_ADDR_SLOTS[3] = {"display", "uri", "params"};
static PyObject *uri_slots[6], *name_addr_slots[3];
static PyObject *py_parse_uri, *py_parse_name_addr, *str_sip, *str_sips;

/* The shapes taken here: ASCII, no quote, backslash, '%', '[' or '?' and no control
 * byte but TAB; the rest goes to the Python twins. */
static int
plain_address(const unsigned char *p, Py_ssize_t n)
{
    Py_ssize_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= 0x7f || (c < 0x20 && c != '\t') || c == '"' || c == '\\' || c == '%' ||
            c == '[' || c == '?')
            return 0;
    }
    return 1;
}

static PyObject *
lower_str(const unsigned char *p, Py_ssize_t n)
{
    PyObject *s = PyUnicode_New(n, 127);
    Py_ssize_t i;
    if (s == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        PyUnicode_1BYTE_DATA(s)[i] = lower_ascii(p[i]);
    return s;
}

/* _params of the reference on plain text: `tag = abc;lr;q=0.5` */
static PyObject *
plain_params(const unsigned char *p, Py_ssize_t s, Py_ssize_t e)
{
    PyObject *list = PyList_New(0), *out;
    Py_ssize_t ps = s;
    if (list == NULL)
        return NULL;
    while (ps <= e) {
        const unsigned char *semi = memchr(p + ps, ';', (size_t)(e - ps));
        Py_ssize_t pe = semi ? semi - p : e;
        const unsigned char *eq = memchr(p + ps, '=', (size_t)(pe - ps));
        Py_ssize_t ns = ps, ne = eq ? eq - p : pe;
        strip_ws(p, &ns, &ne);
        if (ne > ns) {
            Py_ssize_t vs = eq ? ne + 0 : pe, ve = pe;
            PyObject *name, *value, *pair;
            if (eq) {
                vs = (eq - p) + 1;
                strip_ws(p, &vs, &ve);
            }
            name = lower_str(p + ns, ne - ns);
            value = ascii_str(p + vs, eq ? ve - vs : 0);
            pair = (name && value) ? PyTuple_Pack(2, name, value) : NULL;
            Py_XDECREF(name);
            Py_XDECREF(value);
            if (pair == NULL || PyList_Append(list, pair) < 0) {
                Py_XDECREF(pair);
                Py_DECREF(list);
                return NULL;
            }
            Py_DECREF(pair);
        }
        ps = pe + 1;
    }
    out = PyList_AsTuple(list);
    Py_DECREF(list);
    return out;
}

static long
plain_port(const unsigned char *p, Py_ssize_t n)
{
    unsigned long long v;
    if (n > 5 || !all_decimal(p, n))
        return 0;
    v = decimal_value(p, n);
    return v <= 65535 ? (long)v : 0;
}

/* parse_uri of the reference for a plain sip:/sips: URI; Py_None (not a new reference
 * marker: returned as NULL with no error) when the reference must read it. `raw` is the
 * object stored as Uri.raw. */
static PyObject *
plain_uri(const unsigned char *p, Py_ssize_t n, PyObject *raw, int *slow)
{
    Py_ssize_t s = 0, e = n, at_pos, us, ue, hs, he, colon, i;
    PyObject *scheme, *values[6], *uri;
    const unsigned char *semi, *at;
    int has_params;
    *slow = 0;
    strip_ws(p, &s, &e);
    if (e - s >= 4 && lower_ascii(p[s]) == 's' && lower_ascii(p[s + 1]) == 'i' &&
        lower_ascii(p[s + 2]) == 'p' && p[s + 3] == ':') {
        scheme = str_sip;
        s += 4;
    } else if (e - s >= 5 && lower_ascii(p[s]) == 's' && lower_ascii(p[s + 1]) == 'i' &&
               lower_ascii(p[s + 2]) == 'p' && lower_ascii(p[s + 3]) == 's' && p[s + 4] == ':') {
        scheme = str_sips;
        s += 5;
    } else {
        *slow = 1;
        return NULL;
    }
    at = memchr(p + s, '@', (size_t)(e - s));
    if (at != NULL) {
        const unsigned char *pw;
        at_pos = at - p;
        us = s;
        ue = at_pos;
        pw = memchr(p + us, ':', (size_t)(ue - us));
        if (pw != NULL)
            ue = pw - p;
        hs = at_pos + 1;
    } else {
        us = ue = s;
        hs = s;
    }
    semi = memchr(p + hs, ';', (size_t)(e - hs));
    he = semi ? semi - p : e;
    has_params = semi != NULL;
    for (i = hs; i < he; i++)
        if (p[i] == ' ' || p[i] == '\t') {
            *slow = 1;
            return NULL;
        }
    values[0] = scheme;
    Py_INCREF(scheme);
    values[1] = ascii_str(p + us, ue - us);
    colon = -1;
    for (i = hs; i < he; i++)
        if (p[i] == ':') {
            colon = i;
            break;
        }
    if (colon < 0) {
        values[2] = lower_str(p + hs, he - hs);
        values[3] = PyLong_FromLong(0);
    } else if (memchr(p + colon + 1, ':', (size_t)(he - colon - 1)) != NULL) {
        values[2] = lower_str(p + hs, he - hs); /* an unbracketed IPv6 address */
        values[3] = PyLong_FromLong(0);
    } else {
        values[2] = lower_str(p + hs, colon - hs);
        values[3] = PyLong_FromLong(plain_port(p + colon + 1, he - colon - 1));
    }
    values[4] = has_params ? plain_params(p, he + 1, e) : PyTuple_New(0);
    values[5] = raw;
    Py_INCREF(raw);
    uri = (values[1] && values[2] && values[3] && values[4])
              ? new_slotted(uri_cls, uri_slots, values, 6)
              : NULL;
    for (i = 0; i < 6; i++)
        Py_XDECREF(values[i]);
    return uri;
}

/* parse_uri(raw): vostui.sip.parser.parse_uri for plain sip:/sips: URIs */
static PyObject *
parse_uri(PyObject *module, PyObject *raw)
{
    int slow;
    PyObject *uri;
    (void)module;
    if (uri_cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_addresses was not called");
        return NULL;
    }
    if (!PyUnicode_CheckExact(raw) || !PyUnicode_IS_ASCII(raw) ||
        !plain_address(PyUnicode_1BYTE_DATA(raw), PyUnicode_GET_LENGTH(raw)))
        return PyObject_CallOneArg(py_parse_uri, raw);
    uri = plain_uri(PyUnicode_1BYTE_DATA(raw), PyUnicode_GET_LENGTH(raw), raw, &slow);
    if (slow)
        return PyObject_CallOneArg(py_parse_uri, raw);
    return uri;
}

/* parse_name_addr(text): `Name <sip:u@h:p;uri-params>;tag=x` or `sip:u@h;tag=x` */
static PyObject *
parse_name_addr(PyObject *module, PyObject *text)
{
    const unsigned char *p;
    Py_ssize_t n, s = 0, e, lt, gt_end, ts, te, us, ue;
    const unsigned char *ltp;
    PyObject *values[3], *uri_raw, *result;
    int slow, i;
    (void)module;
    if (name_addr_cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_addresses was not called");
        return NULL;
    }
    if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_ASCII(text))
        return PyObject_CallOneArg(py_parse_name_addr, text);
    p = PyUnicode_1BYTE_DATA(text);
    n = PyUnicode_GET_LENGTH(text);
    e = n;
    if (!plain_address(p, n))
        return PyObject_CallOneArg(py_parse_name_addr, text);
    strip_ws(p, &s, &e);
    if (e == s || (e - s == 1 && p[s] == '*'))
        return PyObject_CallOneArg(py_parse_name_addr, text);
    ltp = memchr(p + s, '<', (size_t)(e - s));
    if (ltp != NULL) {
        const unsigned char *gt, *semi;
        Py_ssize_t ds = s, de;
        lt = ltp - p;
        de = lt;
        strip_ws(p, &ds, &de);
        values[0] = ascii_str(p + ds, de - ds);
        gt = memchr(p + lt + 1, '>', (size_t)(e - lt - 1));
        us = lt + 1;
        ue = gt ? gt - p : e;
        gt_end = gt ? (gt - p) + 1 : e;
        strip_ws(p, &us, &ue);
        /* params: tail.partition(";")[2] when ";" in tail */
        semi = memchr(p + gt_end, ';', (size_t)(e - gt_end));
        ts = semi ? (semi - p) + 1 : e;
        te = e;
        values[2] = semi ? plain_params(p, ts, te) : PyTuple_New(0);
    } else {
        const unsigned char *semi = memchr(p + s, ';', (size_t)(e - s));
        values[0] = str_empty;
        Py_INCREF(str_empty);
        us = s;
        ue = semi ? semi - p : e;
        strip_ws(p, &us, &ue);
        values[2] = semi ? plain_params(p, (semi - p) + 1, e) : PyTuple_New(0);
    }
    if (values[0] == NULL || values[2] == NULL) {
        Py_XDECREF(values[0]);
        Py_XDECREF(values[2]);
        return NULL;
    }
    uri_raw = ascii_str(p + us, ue - us);
    if (uri_raw == NULL) {
        Py_DECREF(values[0]);
        Py_DECREF(values[2]);
        return NULL;
    }
    values[1] = plain_uri(p + us, ue - us, uri_raw, &slow);
    if (slow)
        values[1] = PyObject_CallOneArg(py_parse_uri, uri_raw);
    Py_DECREF(uri_raw);
    result = values[1] ? new_slotted(name_addr_cls, name_addr_slots, values, 3) : NULL;
    for (i = 0; i < 3; i++)
        Py_XDECREF(values[i]);
    return result;
}

/* configure_addresses(Uri, NameAddr, parse_uri_py, parse_name_addr_py) */
static PyObject *
configure_addresses(PyObject *module, PyObject *args)
{
    PyObject *ucls, *ncls, *pu, *pn;
    int k;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!O!OO", &PyType_Type, &ucls, &PyType_Type, &ncls, &pu, &pn))
        return NULL;
    for (k = 0; k < 6; k++) {
        PyObject *d = slot_descr(ucls, URI_SLOTS[k]);
        if (d == NULL)
            return NULL;
        Py_XSETREF(uri_slots[k], d);
    }
    for (k = 0; k < 3; k++) {
        PyObject *d = slot_descr(ncls, NAME_ADDR_SLOTS[k]);
        if (d == NULL)
            return NULL;
        Py_XSETREF(name_addr_slots[k], d);
    }
    if (str_sip == NULL && !(str_sip = PyUnicode_InternFromString("sip")))
        return NULL;
    if (str_sips == NULL && !(str_sips = PyUnicode_InternFromString("sips")))
        return NULL;
    Py_INCREF(ucls);
    Py_XSETREF(uri_cls, (PyTypeObject *)ucls);
    Py_INCREF(ncls);
    Py_XSETREF(name_addr_cls, (PyTypeObject *)ncls);
    Py_INCREF(pu);
    Py_XSETREF(py_parse_uri, pu);
    Py_INCREF(pn);
    Py_XSETREF(py_parse_name_addr, pn);
    Py_RETURN_NONE;
}

/* ---- scanner signatures: the quick "none here" ------------------------------- */

static const char *const SCAN_KEYWORDS[9] = {"scan",  "sipvicious", "sipcli", "vaxsip", "pplsip",
                                             "iwar",  "sunday",     "smap",   "sivus"};

/* One of the keywords of vostui.sip.scanner._has_keyword in ASCII text, in any case. */
static int
has_keyword(const unsigned char *p, Py_ssize_t n)
{
    Py_ssize_t i;
    int k;
    for (i = 0; i < n; i++) {
        unsigned char c = lower_ascii(p[i]);
        if (c != 's' && c != 'v' && c != 'p' && c != 'i')
            continue;
        for (k = 0; k < 9; k++) {
            const char *w = SCAN_KEYWORDS[k];
            Py_ssize_t j = 0;
            while (w[j] && i + j < n && lower_ascii(p[i + j]) == (unsigned char)w[j])
                j++;
            if (w[j] == 0)
                return 1;
        }
    }
    return 0;
}

static int
contains(const unsigned char *p, Py_ssize_t n, const char *needle)
{
    return find_bytes(p, n, needle, (Py_ssize_t)strlen(needle)) >= 0;
}

static int
name_is(PyObject *name, const char *text, Py_ssize_t len)
{
    return PyUnicode_CheckExact(name) && PyUnicode_IS_ASCII(name) &&
           PyUnicode_GET_LENGTH(name) == len && memcmp(PyUnicode_1BYTE_DATA(name), text, len) == 0;
}

/* no_signature(headers, user_agent, is_request): True when vostui.sip.scanner.signatures
 * would certainly find nothing (no tool keyword in the User-Agent or the From, To and
 * Contact values, no SIPVicious address, not svwar's quoted shape); False when the
 * Python code must look (and for anything not ASCII). */
static PyObject *
no_signature(PyObject *module, PyObject *args)
{
    PyObject *headers, *ua, *from_value = NULL, *to_value = NULL;
    int is_request;
    Py_ssize_t i, n;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!Up", &PyTuple_Type, &headers, &ua, &is_request))
        return NULL;
    if (!PyUnicode_IS_ASCII(ua))
        Py_RETURN_FALSE;
    if (PyUnicode_GET_LENGTH(ua) &&
        has_keyword(PyUnicode_1BYTE_DATA(ua), PyUnicode_GET_LENGTH(ua)))
        Py_RETURN_FALSE;
    n = PyTuple_GET_SIZE(headers);
    for (i = 0; i < n; i++) {
        PyObject *pair = PyTuple_GET_ITEM(headers, i), *name, *value;
        const unsigned char *v;
        Py_ssize_t vn;
        int is_from, is_to, is_contact;
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2)
            Py_RETURN_FALSE;
        name = PyTuple_GET_ITEM(pair, 0);
        value = PyTuple_GET_ITEM(pair, 1);
        is_from = name_is(name, "from", 4);
        is_to = !is_from && name_is(name, "to", 2);
        is_contact = !is_from && !is_to && name_is(name, "contact", 7);
        if (!(is_from || is_to || is_contact))
            continue;
        if (!PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(value))
            Py_RETURN_FALSE;
        v = PyUnicode_1BYTE_DATA(value);
        vn = PyUnicode_GET_LENGTH(value);
        if (has_keyword(v, vn))
            Py_RETURN_FALSE;
        if (is_contact && contains(v, vn, "1.1.1.1"))
            Py_RETURN_FALSE;
        if (is_from && from_value == NULL && vn)
            from_value = value;
        if (is_to && to_value == NULL && vn)
            to_value = value;
    }
    if (from_value != NULL) {
        const unsigned char *v = PyUnicode_1BYTE_DATA(from_value);
        Py_ssize_t vn = PyUnicode_GET_LENGTH(from_value);
        if (contains(v, vn, "1.1.1.1") || memchr(v, '\\', (size_t)vn) != NULL)
            Py_RETURN_FALSE;
        if (is_request && to_value != NULL && contains(v, vn, "\"<") &&
            contains(PyUnicode_1BYTE_DATA(to_value), PyUnicode_GET_LENGTH(to_value), "\"<"))
            Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

/* ---- the on-demand fields the engine reads on every message ------------------- */

/* Set by configure_lazy: the Python twins, the shared From/To values and their bound. */
static PyObject *py_lazy_branch, *py_lazy_name_addr, *shared_name_addr, *str_cache, *str_parse;
static Py_ssize_t shared_entries;

/* msg._first when it is a dict (the parser's message), else NULL with no error. */
static PyObject *
first_table(PyObject *msg)
{
    PyObject *first;
    if (msg_type == NULL || Py_TYPE(msg) != msg_type)
        return NULL;
    first = get_slot(msg_slots[S_FIRST], msg);
    if (first == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (!PyDict_CheckExact(first)) {
        Py_DECREF(first);
        return NULL;
    }
    return first;
}

/* lazy_branch(msg): vostui.sip.parser.lazy_branch */
static PyObject *
lazy_branch(PyObject *module, PyObject *msg)
{
    PyObject *first, *value, *branch;
    if (py_lazy_branch == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_lazy was not called");
        return NULL;
    }
    first = first_table(msg);
    if (first == NULL)
        return PyObject_CallOneArg(py_lazy_branch, msg);
    value = PyDict_GetItemWithError(first, str_via);
    if (value == NULL) {
        Py_DECREF(first);
        if (PyErr_Occurred())
            return NULL;
        Py_INCREF(str_empty);
        return str_empty;
    }
    Py_INCREF(value);
    Py_DECREF(first);
    branch = branch_of(module, value);
    Py_DECREF(value);
    if (branch != Py_None)
        return branch;
    Py_DECREF(branch);
    return PyObject_CallOneArg(py_lazy_branch, msg);
}

/* lazy_name_addr(msg, name): vostui.sip.parser.lazy_name_addr, through the same shared
 * values (_name_addr_cached: its cache and its parser, emptied when full). */
static PyObject *
lazy_name_addr(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *msg, *name, *first, *text, *cache = NULL, *parse = NULL, *found = NULL;
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "lazy_name_addr(msg, name)");
        return NULL;
    }
    msg = args[0];
    name = args[1];
    if (py_lazy_name_addr == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_lazy was not called");
        return NULL;
    }
    first = first_table(msg);
    if (first == NULL)
        return PyObject_Vectorcall(py_lazy_name_addr, args, 2, NULL);
    text = PyDict_GetItemWithError(first, name);
    if (text == NULL || !PyUnicode_CheckExact(text) || PyUnicode_GET_LENGTH(text) == 0) {
        Py_DECREF(first);
        if (PyErr_Occurred())
            return NULL;
        return PyObject_Vectorcall(py_lazy_name_addr, args, 2, NULL);
    }
    Py_INCREF(text);
    Py_DECREF(first);
    cache = PyObject_GetAttr(shared_name_addr, str_cache);
    if (cache == NULL || !PyDict_CheckExact(cache))
        goto slow;
    found = PyDict_GetItemWithError(cache, text);
    if (found != NULL) {
        Py_INCREF(found);
        goto done;
    }
    if (PyErr_Occurred())
        goto done;
    parse = PyObject_GetAttr(shared_name_addr, str_parse);
    if (parse == NULL)
        goto done;
    found = PyObject_CallOneArg(parse, text);
    if (found == NULL)
        goto done;
    if (PyDict_GET_SIZE(cache) >= shared_entries)
        PyDict_Clear(cache);
    if (PyDict_SetItem(cache, text, found) < 0)
        Py_CLEAR(found);
    goto done;
slow:
    PyErr_Clear();
    found = PyObject_Vectorcall(py_lazy_name_addr, args, 2, NULL);
done:
    Py_XDECREF(cache);
    Py_XDECREF(parse);
    Py_DECREF(text);
    return found;
}

/* configure_lazy(lazy_branch_py, lazy_name_addr_py, name_addr_shared, cache_entries) */
static PyObject *
configure_lazy(PyObject *module, PyObject *args)
{
    PyObject *lb, *ln, *shared;
    Py_ssize_t entries;
    (void)module;
    if (!PyArg_ParseTuple(args, "OOOn", &lb, &ln, &shared, &entries))
        return NULL;
    if (str_cache == NULL && !(str_cache = PyUnicode_InternFromString("cache")))
        return NULL;
    if (str_parse == NULL && !(str_parse = PyUnicode_InternFromString("parse")))
        return NULL;
    Py_INCREF(lb);
    Py_XSETREF(py_lazy_branch, lb);
    Py_INCREF(ln);
    Py_XSETREF(py_lazy_name_addr, ln);
    Py_INCREF(shared);
    Py_XSETREF(shared_name_addr, shared);
    shared_entries = entries;
    Py_RETURN_NONE;
}

/* ---- module ------------------------------------------------------------------- */

static PyMethodDef module_methods[] = {
    {"pcap_records", pcap_records, METH_VARARGS,
     "pcap_records(frame_cls, buf, pos, rec_size, big_endian, divisor, linktype, limit, "
     "number) -> (frames, pos, number, bad_caplen)"},
    {"parse_message", parse_message, METH_O,
     "parse_message(data): vostui.sip.parser.parse_message, compiled for the usual shapes"},
    {"branch_of", branch_of, METH_O,
     "branch_of(via_text): the top Via's branch read quickly, or None"},
    {"parse_sdp", parse_sdp, METH_O,
     "parse_sdp(body): vostui.sip.sdp.parse_sdp, compiled for ASCII bodies"},
    {"configure_sdp", configure_sdp, METH_VARARGS, "configure_sdp(Media, Sdp, parse_sdp_py)"},
    {"parse_uri", parse_uri, METH_O, "parse_uri(raw): vostui.sip.parser.parse_uri's twin"},
    {"parse_name_addr", parse_name_addr, METH_O,
     "parse_name_addr(text): vostui.sip.parser.parse_name_addr's twin"},
    {"configure_addresses", configure_addresses, METH_VARARGS,
     "configure_addresses(Uri, NameAddr, parse_uri_py, parse_name_addr_py)"},
    {"no_signature", no_signature, METH_VARARGS,
     "no_signature(headers, user_agent, is_request): certainly no scanner signature"},
    {"lazy_branch", lazy_branch, METH_O, "lazy_branch(msg): vostui.sip.parser.lazy_branch"},
    {"lazy_name_addr", (PyCFunction)(void (*)(void))lazy_name_addr, METH_FASTCALL,
     "lazy_name_addr(msg, name): vostui.sip.parser.lazy_name_addr"},
    {"configure_lazy", configure_lazy, METH_VARARGS,
     "configure_lazy(lazy_branch_py, lazy_name_addr_py, name_addr_shared, cache_entries)"},
    {"configure_parser", configure_parser, METH_VARARGS,
     "configure_parser(SipMessage, UNSET, SipParseError, parse_message_py, quick_branch_py)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "vostui._speedups",
    "The compiled twin of vostui's per-message path (see vostui.speedups).", -1,
    module_methods,        NULL, NULL, NULL, NULL};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *m;
    FastDecoderType.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
    FastDecoderType.tp_doc = "FastDecoder(decoder, slow_decode_packet, Datagram, DecoderStats)";
    FastDecoderType.tp_new = PyType_GenericNew;
    FastDecoderType.tp_init = (initproc)fd_init;
    FastDecoderType.tp_dealloc = (destructor)fd_dealloc;
    FastDecoderType.tp_traverse = (traverseproc)fd_traverse;
    FastDecoderType.tp_clear = (inquiry)fd_clear;
    FastDecoderType.tp_methods = fd_methods;
    if (PyType_Ready(&FastDecoderType) < 0)
        return NULL;
    if (!(str_stats = PyUnicode_InternFromString("stats")) ||
        !(str_v4names = PyUnicode_InternFromString("_v4names")) ||
        !(str_v6names = PyUnicode_InternFromString("_v6names")) ||
        !(str_udp = PyUnicode_InternFromString("udp")) ||
        !(str_call_id = PyUnicode_InternFromString("call-id")) ||
        !(str_cseq = PyUnicode_InternFromString("cseq")) ||
        !(str_content_type = PyUnicode_InternFromString("content-type")) ||
        !(str_content_length = PyUnicode_InternFromString("content-length")) ||
        !(str_via = PyUnicode_InternFromString("via")) ||
        !(str_empty = PyUnicode_New(0, 0)) || !(one = PyLong_FromLong(1)))
        return NULL;
    m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    Py_INCREF(&FastDecoderType);
    if (PyModule_AddObject(m, "FastDecoder", (PyObject *)&FastDecoderType) < 0) {
        Py_DECREF(&FastDecoderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
