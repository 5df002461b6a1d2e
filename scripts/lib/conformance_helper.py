#!/usr/bin/env python3
"""conformance.sh's helper: response signatures and their comparison, and dates.

Usage: conformance_helper.py compare|field|dates ARGS... (see each cmd_ function).
"""
import hashlib, os, re, socket, sys
from email.utils import parsedate_to_datetime, format_datetime
from datetime import timedelta

def sha12(data):
    return hashlib.sha256(data).hexdigest()[:12]

def read_head(path):
    with open(path, 'rb') as f:
        raw = f.read().decode('latin-1')
    blocks = [b for b in re.split(r'\r?\n\r?\n', raw) if b.strip()]
    if not blocks:
        return None, {}
    lines = blocks[-1].splitlines()          # the final head (after any 1xx)
    m = re.match(r'HTTP/\d(?:\.\d)?\s+(\d{3})', lines[0])
    status = int(m.group(1)) if m else None
    fields = {}
    for line in lines[1:]:
        if ':' in line:
            k, v = line.split(':', 1)
            fields.setdefault(k.strip().lower(), []).append(v.strip())
    return status, fields

def one(fields, name):
    v = fields.get(name)
    if v is None:
        return '-'
    return ','.join(v) if len(v) > 1 else v[0]

CR_RE = re.compile(r'^bytes (\d+)-(\d+)/(\d+)$')

def file_slice(path, first, last):
    with open(path, 'rb') as f:
        f.seek(first)
        return f.read(last - first + 1)

def parse_multipart(body, boundary):
    """Parts as [(content-range, bytes)], each part read by the length its Content-Range gives."""
    delim = b'--' + boundary.encode('latin-1')
    pos = body.find(delim)
    if pos < 0 or (pos > 0 and body[pos - 2:pos] != b'\r\n'):
        raise ValueError('no first boundary')
    parts = []
    while True:
        pos += len(delim)
        if body[pos:pos + 2] == b'--':
            return parts
        if body[pos:pos + 2] != b'\r\n':
            raise ValueError('boundary not followed by CRLF')
        hend = body.find(b'\r\n\r\n', pos + 2)
        if hend < 0:
            raise ValueError('part head not terminated')
        head = body[pos + 2:hend].decode('latin-1')
        cr = None
        for line in head.split('\r\n'):
            if ':' in line and line.split(':', 1)[0].strip().lower() == 'content-range':
                cr = line.split(':', 1)[1].strip()
        m = CR_RE.match(cr or '')
        if not m:
            raise ValueError('part without a valid Content-Range: %r' % cr)
        n = int(m.group(2)) - int(m.group(1)) + 1
        data = body[hend + 4:hend + 4 + n]
        if len(data) != n:
            raise ValueError('part %s truncated' % cr)
        parts.append((cr, data))
        pos = hend + 4 + n
        if body[pos:pos + 2 + len(delim)] != b'\r\n' + delim:
            raise ValueError('no boundary after part %s' % cr)
        pos += 2

def signature(hdr, body_path, method, own_etag, file_path):
    status, fields = read_head(hdr)
    with open(body_path, 'rb') as f:
        body = f.read() if os.path.getsize(body_path) <= (1 << 30) else b''
    size = os.path.getsize(file_path)
    cr, cl, ctype = one(fields, 'content-range'), one(fields, 'content-length'), one(fields, 'content-type')
    received = os.path.getsize(body_path)
    notes = []
    if status is None:
        return 'no-status-line'
    cl_consistent = 'ok' if (cl == str(received) or (method == 'HEAD' and received == 0 and cl != '-')) \
        else 'BAD(%s vs %d received)' % (cl, received)
    if ctype.lower().startswith('multipart/byteranges') and method == 'HEAD':
        # The boundary (so the length) differs per server: only "present" is comparable.
        return '%d/cr=%s/multipart-head/cl=%s/body=%d' % (status, cr, 'present' if cl != '-' else 'MISSING', received)
    if ctype.lower().startswith('multipart/byteranges'):
        m = re.search(r'boundary=("?)([^";]+)\1', ctype)
        try:
            parts = parse_multipart(body, m.group(2) if m else '')
        except ValueError as e:
            return '%d/multipart-unparsable(%s)/cl=%s' % (status, e, cl_consistent)
        descr = []
        for pcr, data in parts:
            pm = CR_RE.match(pcr)
            ok = int(pm.group(3)) == size and data == file_slice(file_path, int(pm.group(1)), int(pm.group(2)))
            descr.append('%s:%s%s' % (pcr, sha12(data), '' if ok else '!bytes'))
        if len(descr) > 6:
            digest = sha12('\n'.join(descr).encode())
            descr = ['%d parts: %s, %s, ..., %s (all: %s)' % (len(descr), descr[0], descr[1], descr[-1], digest)]
        return '%d/cr=%s/multipart[%s]/cl=%s' % (status, cr, ', '.join(descr), cl_consistent)
    if status >= 400:
        return '%d/cr=%s/cl=%s' % (status, cr, cl_consistent)
    if os.path.exists(body_path + '.toolarge'):
        return '%d/cr=%s/cl=%s/body-over-1GiB-not-fetched' % (status, cr, cl)
    sig = '%d/cr=%s/cl=%s' % (status, cr, cl)
    if status == 304:
        etag = one(fields, 'etag')
        sig += '/etag=%s' % ('own' if etag == own_etag else ('missing' if etag == '-' else 'OTHER(%s)' % etag))
        sig += '/body=%d' % received
        return sig
    if method == 'HEAD':
        return sig + '/body=%d' % received
    if received > (1 << 30):
        return sig + '/body=%d-bytes-not-hashed' % received
    sig += '/sha=%s' % sha12(body)
    if cl != '-' and cl != str(received):
        sig += '/cl-mismatch(received %d)' % received
    if status == 200:
        want = file_slice(file_path, 0, size - 1) if size else b''
        if body != want:
            sig += '!bytes'
    elif status == 206:
        m = CR_RE.match(cr)
        if not m or int(m.group(3)) != size or body != file_slice(file_path, int(m.group(1)), int(m.group(2))):
            sig += '!bytes'
    return sig

def cmd_compare(args):
    method, file_path, fs_hdr, fs_body, fs_etag, ng_hdr, ng_body, ng_etag = args
    fs = signature(fs_hdr, fs_body, method, fs_etag, file_path)
    ng = signature(ng_hdr, ng_body, method, ng_etag, file_path)
    if fs == ng:
        print('same\t' + fs)
    else:
        print('fileserver %s vs nginx %s' % (fs, ng))

def cmd_field(args):
    hdr, name = args
    _, fields = read_head(hdr)
    print(one(fields, name.lower()))

def cmd_dates(args):
    """Shifted and alternative forms of an HTTP-date: earlier, later, RFC 850, asctime."""
    d = parsedate_to_datetime(args[0])
    print(format_datetime(d - timedelta(days=1), usegmt=True))
    print(format_datetime(d + timedelta(days=1), usegmt=True))
    print(d.strftime('%A, %d-%b-%y %H:%M:%S GMT'))
    print(d.strftime('%a %b ') + ('%2d' % d.day) + d.strftime(' %H:%M:%S %Y'))

{'compare': cmd_compare, 'field': cmd_field, 'dates': cmd_dates}[sys.argv[1]](sys.argv[2:])
