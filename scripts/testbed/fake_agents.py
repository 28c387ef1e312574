#!/usr/bin/python3
"""Register permanently "alive" fake L2 agents in the testbed Neutron's sqlite DB.

ML2's agent-based mechanism drivers (linuxbridge, sriovnicswitch) only bind a port on a host
that has a live agent of their type. The testbed runs no agents (and has no RPC bus), so we
write the agent rows directly, with a heartbeat far in the future so they never go stale.

usage: fake_agents.py NEUTRON_SQLITE HOST [HOST ...]
Idempotent: an existing (agent_type, host) row is refreshed in place, keeping its id.
Safe while neutron-server runs (the DB is in WAL mode)."""
import json
import sqlite3
import sys
import uuid

STARTED = '2025-01-01 00:00:00.000000'
HEARTBEAT = '2099-01-01 00:00:00.000000'   # "alive" until then

AGENTS = [
    # sriovnicswitch binds vnic_type=direct ports (with a binding:profile) as vif_type hw_veb
    ('NIC Switch agent', 'neutron-sriov-nic-agent',
     {'device_mappings': {'physnet1': ['ens1f0', 'ens2f0'], 'physnet2': ['ens1f1']},
      'extensions': [], 'devices': 0}),
    # linuxbridge binds normal ports as vif_type bridge; tunnel_types is needed for vxlan tenant nets
    ('Linux bridge agent', 'neutron-linuxbridge-agent',
     {'interface_mappings': {'physnet1': 'ens1f0', 'physnet2': 'ens1f1'}, 'bridge_mappings': {},
      'tunnel_types': ['vxlan'], 'devices': 0}),
]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    db, hosts = sys.argv[1], [h for h in sys.argv[2:] if h]
    con = sqlite3.connect(db, timeout=30)
    with con:
        for host in hosts:
            for agent_type, binary, conf in AGENTS:
                cur = con.execute(
                    'UPDATE agents SET heartbeat_timestamp=?, configurations=?, admin_state_up=1'
                    ' WHERE agent_type=? AND host=?', (HEARTBEAT, json.dumps(conf), agent_type, host))
                if cur.rowcount == 0:
                    con.execute(
                        'INSERT INTO agents (id, agent_type, binary, topic, host, admin_state_up, created_at,'
                        ' started_at, heartbeat_timestamp, configurations, resource_versions, load,'
                        " resources_synced) VALUES (?, ?, ?, 'N/A', ?, 1, ?, ?, ?, ?, '{}', 0, 1)",
                        (str(uuid.uuid4()), agent_type, binary, host, STARTED, STARTED, HEARTBEAT,
                         json.dumps(conf)))
    rows = con.execute('SELECT host, agent_type FROM agents ORDER BY host, agent_type').fetchall()
    print('fake agents: ' + ', '.join('%s/%s' % r for r in rows))


if __name__ == '__main__':
    main()
