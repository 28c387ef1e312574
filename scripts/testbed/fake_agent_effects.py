#!/usr/bin/python3
"""Fake the visible side effects of the Neutron agents the testbed does not run.

1. L2 agent (always on; runs INSIDE neutron-server): a port whose binding succeeded on some host
   turns ACTIVE shortly afterwards, as when a real agent reports update_device_up. Loaded as the
   service plugin `fake_agent_effects.FakeAgentEffects` (setup-neutron.sh puts this directory on
   neutron-server's PYTHONPATH). It calls ML2's own update_port_status, so the change goes through
   Neutron's DB layer (with its retries) and fires the normal port notifications.
   Why not write ports.status into the sqlite file from another process (the obvious hack)? Any
   commit from another process invalidates the read snapshot of a Neutron transaction in flight
   (deferred BEGIN, WAL), and that request then fails with HTTP 500 "database is locked". It did
   in CI: a kuryr tag PUT right after a port binding.
   Env read by neutron-server: FAKE_AGENT_ACTIVE_DELAY (seconds, default 0.2).

2. DHCP agent (optional; a separate process, `fake_agent_effects.py --dhcp`, started by up.sh when
   FAKE_DHCP=1): every network with an enable_dhcp subnet gets one network:dhcp port holding an
   address from each such subnet, as with a real DHCP agent. Works through the REST API only.
   Env: NEUTRON_URL (default http://127.0.0.1:19696, with or without /v2.0),
        KURYR_TEST_HOST (binding host of the DHCP ports; default hostname). Polls every 0.2 s
   until SIGTERM/SIGINT."""
import json
import os
import signal
import socket
import sys
import time
import urllib.request

UNBOUND = ('unbound', 'binding_failed', '')


# ---------------------------------------------------------------- 1. inside neutron-server
try:
    from neutron_lib.callbacks import events, registry, resources
    from neutron_lib import context as n_context
    from neutron_lib.plugins import directory
    from neutron_lib.services import base as service_base
except ImportError:  # the DHCP half only needs the standard library
    service_base = None

if service_base is not None:
    # sqlite under a concurrently used neutron-server: a deferred transaction that read and then wants to
    # write fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT under WAL; the busy timeout does not
    # apply) whenever another request committed in between -- an HTTP 500 for a perfectly valid request.
    # MySQL reports the same situation as a deadlock, which Neutron's API layer retries (retry_db_errors);
    # telling oslo.db that this sqlite error is a deadlock gives the testbed the same retry. (BEGIN IMMEDIATE
    # does not work here: sqlite's busy wait blocks eventlet's hub while another green thread holds the lock.)
    from oslo_db import exception as _db_exc
    from oslo_db.sqlalchemy import exc_filters as _exc_filters
    from sqlalchemy import exc as _sa_exc

    @_exc_filters.filters('sqlite', _sa_exc.OperationalError, r'.*database is locked')
    def _sqlite_locked_is_a_deadlock(operational_error, _match, _engine_name, _is_disconnect):
        raise _db_exc.DBDeadlock(operational_error)

    class FakeAgentEffects(service_base.ServicePluginBase):
        """Service plugin: bound ports go ACTIVE (like an L2 agent's update_device_up)."""
        supported_extension_aliases = []
        # Without this Neutron drops the filter-validation extension for everyone, and unknown
        # query filters would be ignored instead of answered with 400.
        __filter_validation_support = True

        def __init__(self):
            super().__init__()
            self._delay = float(os.environ.get('FAKE_AGENT_ACTIVE_DELAY', '0.2'))
            registry.subscribe(self._port_updated, resources.PORT, events.AFTER_UPDATE)

        def get_plugin_type(self):
            return 'fake_agent_effects'

        def get_plugin_description(self):
            return 'testbed: emulates L2 agents reporting bound ports up'

        def _port_updated(self, resource, event, trigger, payload=None):
            port = payload.latest_state if payload else None
            if not port:
                return
            host = port.get('binding:host_id') or ''
            bound = host and port.get('binding:vif_type') not in UNBOUND
            if bound and port.get('status') == 'DOWN':
                self._later(port['id'], 'ACTIVE', host)
            elif not bound and port.get('status') == 'ACTIVE' and not port.get('device_owner', '').startswith('network:'):
                self._later(port['id'], 'DOWN', None)

        def _later(self, port_id, status, host):
            import eventlet  # neutron-server runs on eventlet; a real agent answers asynchronously too
            eventlet.spawn_after(self._delay, self._set_status, port_id, status, host)

        @staticmethod
        def _set_status(port_id, status, host):
            try:
                directory.get_plugin().update_port_status(
                    n_context.get_admin_context(), port_id, status, host)
            except Exception:  # port deleted meanwhile, etc.: an agent would just move on
                pass


# ---------------------------------------------------------------- 2. DHCP agent process
running = True


def _stop(*_):
    global running
    running = False


def log(*args):
    print(time.strftime('%T'), *args, flush=True)


class Api:
    def __init__(self, url):
        url = url.rstrip('/')
        self.url = url if url.endswith('/v2.0') else url + '/v2.0'

    def __call__(self, method, path, body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)


def sync_dhcp(api, host):
    want = {}
    for s in api('GET', '/subnets?enable_dhcp=True&fields=id&fields=network_id')['subnets']:
        want.setdefault(s['network_id'], set()).add(s['id'])
    have = {p['network_id']: p for p in api(
        'GET', '/ports?device_owner=network:dhcp&fields=id&fields=network_id&fields=fixed_ips')['ports']}
    for net, subnets in want.items():
        port = have.get(net)
        if port is None:
            api('POST', '/ports', {'port': {
                'network_id': net, 'device_owner': 'network:dhcp', 'device_id': 'dhcp-fake-' + net,
                'binding:host_id': host, 'fixed_ips': [{'subnet_id': s} for s in sorted(subnets)]}})
            log('dhcp port created on', net)
        else:
            current = {f['subnet_id'] for f in port['fixed_ips']}
            if not subnets <= current:
                api('PUT', '/ports/' + port['id'], {'port': {'fixed_ips': port['fixed_ips'] + [
                    {'subnet_id': s} for s in sorted(subnets - current)]}})
                log('dhcp port updated on', net)


def main():
    if '--dhcp' not in sys.argv[1:]:
        sys.exit('usage: fake_agent_effects.py --dhcp   (the L2 half runs inside neutron-server)')
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    api = Api(os.environ.get('NEUTRON_URL', 'http://127.0.0.1:19696'))
    host = os.environ.get('KURYR_TEST_HOST') or socket.gethostname()
    log('fake DHCP agent running: url=%s host=%s' % (api.url, host))
    while running:
        try:
            sync_dhcp(api, host)
        except Exception as e:  # network deleted under us, 409 races...: retry next round
            log('api error:', type(e).__name__, str(e)[:200])
        time.sleep(0.2)
    log('stopped')


if __name__ == '__main__':
    main()
