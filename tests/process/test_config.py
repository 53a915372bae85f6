"""Configuration: defaults < TOML file < command line; environment secrets; validation."""

import os
import tempfile
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from voicedock.config import ConfigError, PortRange, ServerConfig, build_config, load_config, read_toml
from voicedock.netinfo import describe_public_address

EXAMPLE = Path(__file__).parents[2] / "etc" / "voicedock.toml"


class ConfigTests(SynchronousTestCase):
    def write(self, text: str) -> str:
        fd, path = tempfile.mkstemp(suffix=".toml")
        os.write(fd, text.encode())
        os.close(fd)
        self.addCleanup(os.unlink, path)
        return path

    def test_defaults(self):
        config = build_config({}, {}, environ={})
        self.assertEqual(config, ServerConfig())
        self.assertEqual(config.data_dir, Path("var"))
        self.assertIsNone(config.db)
        self.assertEqual((config.api_interface, config.api_port), ("127.0.0.1", 8080))
        self.assertEqual((config.sip_interface, config.sip_port), ("0.0.0.0", 5060))
        self.assertEqual(config.rtp_ports, PortRange(20000, 29999))
        self.assertEqual(config.log_format, "text")
        self.assertEqual(config.rate_limit_per_minute, 100)

    def test_file_then_command_line(self):
        path = self.write('[api]\nport = 9000\ninterface = "::1"\n[sip]\nport = 5070\n')
        config = load_config(path, {"sip_port": "5080", "api_port": None})
        self.assertEqual(config.api_port, 9000)
        self.assertEqual(config.api_interface, "::1")
        self.assertEqual(config.sip_port, 5080)

    def test_environment_secret_wins(self):
        config = build_config({"secret_key": "from-file"}, {}, environ={"VOICEDOCK_SECRET_KEY": "from-env"})
        self.assertEqual(config.secret_key, "from-env")

    def test_unknown_key_is_named(self):
        path = self.write("[api]\nprot = 1\n")
        e = self.assertRaises(ConfigError, read_toml, Path(path))
        self.assertIn("'prot'", str(e))
        e = self.assertRaises(ConfigError, read_toml, Path(self.write("[apii]\nport = 1\n")))
        self.assertIn("[apii]", str(e))

    def test_bad_values_are_named(self):
        for cli, word in [
            ({"api_port": "70000"}, "api_port"),
            ({"sip_port": "x"}, "sip_port"),
            ({"rtp_ports": "30000-20000"}, "rtp_ports"),
            ({"rtp_ports": "abc"}, "rtp_ports"),
            ({"public_ip": "pbx.example.com"}, "public_ip"),
            ({"log_format": "xml"}, "log_format"),
            ({"api_interface": "localhost:80"}, "api_interface"),
        ]:
            e = self.assertRaises(ConfigError, build_config, {}, cli, {})
            self.assertIn(word, str(e))

    def test_port_zero_allowed(self):
        self.assertEqual(build_config({}, {"api_port": "0"}, {}).api_port, 0)

    def test_trusted_sources(self):
        config = build_config({"trusted_sources": ["192.0.2.0/24", "198.51.100.7"]}, {}, {})
        self.assertEqual(config.trusted_sources, ("192.0.2.0/24", "198.51.100.7/32"))
        self.assertRaises(ConfigError, build_config, {"trusted_sources": ["nope"]}, {}, {})

    def test_example_file_is_complete_and_valid(self):
        """etc/voicedock.toml documents every key and loads as it is."""
        values = read_toml(EXAMPLE)
        text = EXAMPLE.read_text()
        from voicedock.config import TOML_KEYS

        for name, (table, key) in TOML_KEYS.items():
            self.assertIn(f"[{table}]", text)
            self.assertIn(key, text, f"{table}.{key} is not documented in etc/voicedock.toml")
        build_config(values, {}, {})


class PublicAddressTests(SynchronousTestCase):
    def test_explicit_public_address(self):
        self.assertEqual(describe_public_address("93.184.216.34", "0.0.0.0"), ("93.184.216.34", None))

    def test_loopback_warns(self):
        address, warning = describe_public_address(None, "127.0.0.1")
        self.assertEqual(address, "127.0.0.1")
        self.assertIn("loopback", warning)

    def test_private_warns(self):
        address, warning = describe_public_address("10.1.2.3", "0.0.0.0")
        self.assertIn("private", warning)

    def test_wildcard_picks_an_interface_address(self):
        address, _ = describe_public_address(None, "0.0.0.0")
        self.assertNotEqual(address, "0.0.0.0")


class TimerAndMediaConfigTests(SynchronousTestCase):
    def test_sip_timers_and_media_settings(self):
        config = build_config({"sip_t1": 0.25, "sip_t2": 2, "rtp_timeout": 10, "jitter_max_ms": 300,
                               "sip_server_header": "VoiceDock"}, {}, {})
        self.assertEqual((config.sip_t1, config.sip_t2, config.sip_t4), (0.25, 2.0, 5.0))
        self.assertEqual((config.rtp_timeout, config.jitter_min_ms, config.jitter_max_ms), (10.0, 40, 300))
        self.assertEqual(config.sip_server_header, "VoiceDock")

    def test_bad_timer_and_media_values(self):
        for values, word in [
            ({"sip_t1": 0}, "sip_t1"),
            ({"sip_t1": 2, "sip_t2": 1}, "t2"),
            ({"jitter_min_ms": 30}, "multiple of 20"),
            ({"jitter_min_ms": 400, "jitter_max_ms": 200}, "jitter_min_ms"),
            ({"rtp_timeout": "soon"}, "rtp_timeout"),
            ({"sip_server_header": "a\r\nInjected: 1"}, "server_header"),
        ]:
            e = self.assertRaises(ConfigError, build_config, values, {}, {})
            self.assertIn(word, str(e))
