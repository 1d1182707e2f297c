"""Shared by the load drivers: signing a user in through the real form (GET /dang-nhap for the form's token, POST it),
returning the session cookie to send with each request."""
import http.client
import re
import urllib.parse


def sign_in(host, port, username, password):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("GET", "/dang-nhap")
    r = c.getresponse()
    html = r.read().decode()
    token = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
    pre = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie"]
    body = urllib.parse.urlencode({"_csrf": token, "username": username, "password": password})
    c.request("POST", "/dang-nhap", body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(pre)})
    r = c.getresponse()
    r.read()
    cookies = [v.split(";")[0] for k, v in r.getheaders() if k.lower() == "set-cookie" and "=;" not in v.split(";")[0] + ";"]
    if r.status != 303:
        raise SystemExit(f"sign-in {username}: {r.status}")
    c.close()
    return "; ".join(cookies)
