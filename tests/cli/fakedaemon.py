#!/usr/bin/python3
"""fakedaemon.py SOCKET STREAM: a stand-in for the Engine API that replays a
recorded JSON message stream.

Listens on the unix socket SOCKET; answers GET or HEAD /_ping (API-Version
1.41) and answers any other request with the bytes of the file STREAM as an
application/json body, then closes the connection.  Used to check, byte for
byte, how a client displays a given stream (tests/cli/progress.bats).
"""
import os
import socket
import sys
import threading


def handle(conn, stream):
    f = conn.makefile('rb')
    while True:
        request = f.readline()
        if not request:
            break
        method, target = request.decode('latin-1').split()[:2]
        headers = {}
        while True:
            h = f.readline()
            if h in (b'\r\n', b'\n', b''):
                break
            k, v = h.decode('latin-1').split(':', 1)
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get('content-length', '0'))
        if length:
            f.read(length)
        if target.endswith('/_ping'):
            body = b'' if method == 'HEAD' else b'OK'
            conn.sendall(b'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nOstype: linux\r\n'
                         b'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\n' + body)
            continue
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n' + stream)
        break
    conn.close()


def main():
    path, stream = sys.argv[1], open(sys.argv[2], 'rb').read()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(8)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(conn, stream), daemon=True).start()


if __name__ == '__main__':
    main()
