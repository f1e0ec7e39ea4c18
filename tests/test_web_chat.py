"""The website chat in headless Chromium (Debian's package), talking to the real Rasa bot over socket.io."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
from conftest import WebServer, settings_env
from playwright.sync_api import Page, expect

from core.schema import open_state_db
from core.settings import PROJECT_ROOT, Settings

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
ANSWER_TIMEOUT = 30_000  # ms: the first answer of a session loads the FAQ searcher


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".mhd-input")).to_be_focused()


def ask(page: Page, text: str) -> None:
    page.locator(".mhd-input").fill(text)
    page.keyboard.press("Enter")


def bot_messages(page: Page):
    return page.locator(".mhd-from-bot")


def session_of(page: Page) -> str:
    """The Rasa conversation the widget keeps in localStorage."""
    kept = page.evaluate("Object.entries(localStorage).find(([key]) => key.startsWith('modica-helpdesk:'))[1]")
    return json.loads(kept)["sessionId"]


def bot_said(page: Page) -> str:
    """All the bot's bubbles (Rasa sends a long answer as several messages, split at blank lines)."""
    return " ".join(bot_messages(page).all_text_contents())


def test_a_customer_asks_an_faq_question_and_gets_the_answer_with_its_source(page: Page, web):
    open_chat(page, web.url)
    ask(page, "What is the rollback plan?")
    expect(page.locator(".mhd-from-user").last).to_have_text("You said: What is the rollback plan?")
    expect(bot_messages(page).last).to_contain_text("Source:", timeout=ANSWER_TIMEOUT)
    assert "Each maintenance window has a different rollback plan" in bot_said(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-desktop.png"))


def test_a_quick_reply_button_sends_its_choice(page: Page, web):
    open_chat(page, web.url)
    ask(page, "URGENT our sms are not being delivered")
    expect(bot_messages(page).first).to_contain_text("0800 77 66 22", timeout=ANSWER_TIMEOUT)
    no_thanks = page.get_by_role("button", name="No thanks")
    expect(no_thanks).to_be_visible()
    expect(bot_messages(page).first.locator(".mhd-feedback")).to_have_count(1)  # the phone numbers can be rated,
    expect(bot_messages(page).last.locator(".mhd-feedback")).to_have_count(0)  # the question that follows not
    no_thanks.click()
    expect(page.locator(".mhd-from-user").last).to_contain_text("No thanks")
    expect(bot_messages(page).last).to_contain_text("If it becomes urgent", timeout=ANSWER_TIMEOUT)
    expect(no_thanks).to_be_disabled()


def test_the_conversation_survives_a_page_reload(page: Page, web, bot):
    open_chat(page, web.url)
    ask(page, "hello")
    expect(bot_messages(page).last).to_contain_text("helpdesk bot", timeout=ANSWER_TIMEOUT)
    page.reload()
    expect(page.locator(".mhd-from-user")).to_have_text(["You said: hello"])  # the history, and the chat still open
    ask(page, "thanks")
    expect(bot_messages(page)).to_have_count(2, timeout=ANSWER_TIMEOUT)
    said = bot.said_by_bot(session_of(page))
    assert len(said) >= 2 and "helpdesk bot" in said[0]  # one Rasa conversation across the reload


def test_the_conversation_survives_a_restart_of_the_rasa_server(page: Page, web, bot):
    open_chat(page, web.url)
    ask(page, "hello")
    expect(bot_messages(page).last).to_contain_text("helpdesk bot", timeout=ANSWER_TIMEOUT)
    session_id = session_of(page)
    bot.restart_rasa()
    ask(page, "thanks")
    expect(bot_messages(page)).to_have_count(2, timeout=60_000)  # the widget reconnected by itself
    said = bot.said_by_bot(session_id)
    assert "helpdesk bot" in said[0] and len(said) >= 2  # the same conversation, from the SQLite tracker


def test_a_customer_rates_an_answer_down_with_the_keyboard_and_review_lists_the_question(page: Page, web, bot):
    from datetime import timedelta

    from bot.answers.review import NEGATIVE_FEEDBACK, review
    from core.clock import Clock

    open_chat(page, web.url)
    ask(page, "What is the rollback plan?")
    expect(bot_messages(page).last).to_contain_text("Source:", timeout=ANSWER_TIMEOUT)
    expect(page.locator(".mhd-feedback")).to_have_count(1)  # one vote per answer, under its last bubble
    answer = bot_messages(page).last
    down = answer.get_by_role("button", name="This answer did not help")
    up = answer.get_by_role("button", name="This answer helped")
    expect(down).to_have_text("👎")
    expect(up).to_have_attribute("aria-pressed", "false")
    for _ in range(10):  # from the input box back to the thumbs down, by keyboard only
        page.keyboard.press("Shift+Tab")
        if down.evaluate("button => button === document.activeElement"):
            break
    expect(down).to_be_focused()
    assert down.evaluate("button => getComputedStyle(button).outlineStyle") != "none"  # the focus is visible
    replies = bot_messages(page).count()
    page.keyboard.press("Enter")

    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_be_disabled()
    expect(up).to_be_disabled()
    expect(down).to_be_focused()  # the focus stays where it was
    status = answer.get_by_role("status")
    expect(status).to_have_text("Thanks for the feedback")
    assert page.evaluate(CONTRAST, [".mhd-feedback-status", "backgroundColor"]) >= 4.5
    up.dispatch_event("click")  # one vote per answer
    expect(up).to_have_attribute("aria-pressed", "false")

    session_id = session_of(page)
    deadline = time.monotonic() + 20
    votes: list[dict] = []
    while not votes and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        votes = [
            e
            for e in bot.tracker(session_id)["events"]
            if e["event"] == "user" and e["parse_data"]["intent"]["name"].startswith("feedback_")
        ]
    assert [(v["parse_data"]["intent"]["name"], v["text"]) for v in votes] == [
        ("feedback_negative", '/feedback_negative{"rated": "1"}')
    ]  # once, naming the first message's reply
    assert bot_messages(page).count() == replies and page.locator(".mhd-from-user").count() == 1  # no bubbles

    [item] = [i for i in review(bot.settings, timedelta(days=1), Clock().now()) if session_id in i.conversations]
    assert item.text == "What is the rollback plan?" and NEGATIVE_FEEDBACK in item.reasons

    page.reload()  # the vote is remembered
    expect(page.get_by_role("button", name="This answer did not help")).to_have_attribute("aria-pressed", "true")


def test_markup_typed_by_a_customer_is_shown_as_text(page: Page, web):
    open_chat(page, web.url)
    attack = '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script> **bold** <b>b</b>'
    ask(page, attack)
    mine = page.locator(".mhd-from-user").last
    expect(mine).to_contain_text('<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>')
    expect(bot_messages(page).last).to_be_visible(timeout=ANSWER_TIMEOUT)
    assert page.evaluate("window.hacked") is None
    assert page.locator(".mhd-log img, .mhd-log script, .mhd-log b").count() == 0


def test_the_widget_works_with_the_keyboard_alone(page: Page, web):
    page.goto(web.url)
    launcher = page.locator(".mhd-launcher")
    for _ in range(30):  # tab through the page's links to the chat button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('mhd-launcher')"):
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".mhd-input")).to_be_focused()
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(bot_messages(page).last).to_contain_text("helpdesk bot", timeout=ANSWER_TIMEOUT)
    page.keyboard.press("Escape")
    expect(page.locator("#mhd-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".mhd-log")).to_have_attribute("aria-live", "polite")
    expect(page.locator(".mhd-log")).to_have_attribute("role", "log")


CONTRAST = """
([selector, property]) => {
  const el = document.querySelector(selector);
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = el, colour = 'rgba(0, 0, 0, 0)';
  while (bg && (colour = getComputedStyle(bg)[property]) === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(colour))].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""


def test_text_contrast_meets_wcag_aa(page: Page, web):
    open_chat(page, web.url)
    ask(page, "hello")
    expect(bot_messages(page).last).to_be_visible(timeout=ANSWER_TIMEOUT)
    for selector in (
        ".mhd-launcher",
        ".mhd-title",
        ".mhd-from-bot p",
        ".mhd-from-user p",
        ".mhd-from-notice p",
        ".mhd-send",
        ".mhd-input",
    ):
        assert page.evaluate(CONTRAST, [selector, "backgroundColor"]) >= 4.5, selector


def test_it_fits_a_360_px_phone_screen(browser, web):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_chat(page, web.url)
        ask(page, "Which products are affected by phase 3?")
        expect(bot_messages(page).last).to_be_visible(timeout=ANSWER_TIMEOUT)
        box = page.locator("#mhd-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "widget-phone.png"))
    finally:
        context.close()


@pytest.mark.parametrize(
    "instant, banner",
    [
        ("2020-09-08T10:30:00Z", "Maintenance in progress: Phase 2"),
        ("2020-09-08T13:30:00Z", "Planned maintenance: Phase 3"),
    ],
)
def test_the_status_banner_follows_the_injected_clock(page: Page, bot, tmp_path, instant, banner):
    settings = Settings.from_env(
        {**settings_env(tmp_path), "HELPDESK_FAQ_DB": str(bot.settings.faq_db), "HELPDESK_NOW": instant}
    )
    server = WebServer(settings, settings.web_port)
    try:
        page.goto(server.url)
        expect(page.locator("#status-banner")).to_contain_text(banner)
        expect(page.locator("#migration-notices h3")).to_have_text(  # from the documents, the latest first
            ["Prepare AWS Migration - More information", "Run The Red to Omni migration FAQ (2019)"]
        )
        expect(page.locator("#migration-notices")).to_contain_text(
            "Phase 2: Messaging Core Migration: Tue 8 September 2020 21:00 NZST"
        )
        if "in progress" in banner:
            expect(page.locator("#status-banner")).to_contain_text("until Wed 9 September 2020 01:00 NZST")
    finally:
        server.stop()


def test_no_banner_when_no_window_is_near(page: Page, bot, tmp_path):
    settings = Settings.from_env(
        {**settings_env(tmp_path), "HELPDESK_FAQ_DB": str(bot.settings.faq_db), "HELPDESK_NOW": "2021-03-01T00:00:00Z"}
    )
    server = WebServer(settings, settings.web_port)
    try:
        page.goto(server.url)
        expect(page.locator("#migration-notices h3")).to_have_count(2)  # the status has arrived and been read
        expect(page.locator("#status-banner")).to_be_hidden()
    finally:
        server.stop()


class FlakyLink:
    """A TCP relay between the browser and the Rasa server that the test can cut and restore."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.port = self._port_no_connection_takes()
        self.restore()

    @staticmethod
    def _port_no_connection_takes() -> int:
        """A free port below the kernel's ephemeral range: while the link is cut, its port stays free (an outgoing
        connection's own port, Chromium's or Rasa's, comes from that range and could take one of it)."""
        lowest_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
        for port in random.sample(range(10_000, lowest_ephemeral), 200):
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
        raise AssertionError("no free port below the ephemeral range for the test's link")

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a network failure would."""
        self.listener.close()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
        self.connections.clear()


def test_when_the_bot_is_unreachable_the_widget_says_so_and_sends_what_was_typed_when_it_is_back(page: Page, bot):
    link = FlakyLink(bot.settings.rasa_port)
    proxied = Settings.from_env(
        {**{k: v for k, v in bot.env.items() if k.startswith(("HELPDESK", "RASA", "WEB"))}, "RASA_PORT": str(link.port)}
    )
    server = WebServer(proxied, bot.settings.web_port)
    try:
        open_chat(page, server.url)
        ask(page, "hello")
        expect(bot_messages(page).last).to_contain_text("helpdesk bot", timeout=ANSWER_TIMEOUT)
        link.cut()
        expect(page.locator(".mhd-status")).to_contain_text("Can't reach the helpdesk", timeout=30_000)
        ask(page, "What is the rollback plan?")
        expect(page.locator(".mhd-unsent")).to_contain_text("What is the rollback plan?")
        page.reload()  # not even a reload loses it
        expect(page.locator(".mhd-unsent")).to_contain_text("What is the rollback plan?")
        link.restore()
        expect(bot_messages(page).last).to_contain_text("Source:", timeout=ANSWER_TIMEOUT)
        assert "rollback plan" in bot_said(page)
        expect(page.locator(".mhd-unsent")).to_have_count(0)
        expect(page.locator(".mhd-status")).to_be_hidden()
    finally:
        server.stop()
        link.cut()


# The page's socket.io client, made to lose the acknowledgement of the first message it sends: the connection
# closes as the acknowledgement arrives (after the replies), as when a link drops at the wrong moment.
LOSE_FIRST_ACKNOWLEDGEMENT = """
(() => {
  let real;
  window.copiesSent = [];
  Object.defineProperty(window, "io", {
    configurable: true,
    set(value) { real = value; },
    get() {
      return real && function (url, options) {
        const socket = real(url, options);
        const emit = socket.emit.bind(socket);
        socket.emit = function (event, data, ack) {
          if (event !== "user_uttered" || typeof ack !== "function") return emit.apply(null, arguments);
          window.copiesSent.push(data.message_id);
          if (window.copiesSent.length > 1) return emit(event, data, ack);
          return emit(event, data, () => socket.io.engine.close());
        };
        return socket;
      };
    },
  });
})();
"""


def test_a_message_whose_acknowledgement_was_lost_is_sent_again_and_answered_once(page: Page, web, bot):
    page.add_init_script(LOSE_FIRST_ACKNOWLEDGEMENT)
    open_chat(page, web.url)
    ask(page, "What is the rollback plan?")
    expect(page.locator(".mhd-status")).to_contain_text("Can't reach the helpdesk", timeout=ANSWER_TIMEOUT)
    expect(page.locator(".mhd-status")).to_be_hidden(timeout=30_000)  # reconnected
    expect(page.locator(".mhd-unsent")).to_have_count(0, timeout=ANSWER_TIMEOUT)  # the copy was acknowledged
    copies = page.evaluate("window.copiesSent")
    assert len(copies) == 2 and copies[0] == copies[1]  # sent again, with the same id
    assert bot_said(page).count("Each maintenance window has a different rollback plan") == 1  # the replay not shown
    said = [e["text"] for e in bot.tracker(session_of(page))["events"] if e["event"] == "user"]
    assert said == ["What is the rollback plan?"]  # and not handled twice
    ask(page, "hello")  # the next message goes as usual
    expect(bot_messages(page).last).to_contain_text("helpdesk bot", timeout=ANSWER_TIMEOUT)


def test_the_customer_sees_the_engineer_join_talk_and_leave(page: Page, web, bot):
    from bot.escalation import escalations
    from bot.escalation.oncall import current_rota
    from bot.ops import worker
    from core import outbox
    from core.clock import Clock

    open_chat(page, web.url)
    ask(page, "hello")
    expect(bot_messages(page).last).to_contain_text("helpdesk bot", timeout=ANSWER_TIMEOUT)
    session_id = session_of(page)
    db = open_state_db(bot.settings.state_db)
    case = escalations.create(
        db, session_id, {"contact_name": "Ana"}, "API down", [], current_rota(db), Clock().now()
    ).case
    escalations.acknowledge(db, case.ref, "Tama", Clock().now())
    worker.run_round(bot.settings, Clock().now())
    expect(page.locator(".mhd-from-notice").last).to_have_text(
        "Tama (a person from our on-call team) has joined the chat."
    )
    votes = page.locator(".mhd-feedback")
    expect(votes).to_have_count(1)  # under the greeting still, not under the bot's words for the notice
    expect(bot_messages(page).first.locator(".mhd-feedback")).to_have_count(1)

    escalations.relay_from_engineer(db, case.ref, "Hi Ana, <i>I'm</i> on it", "Tama", "web-test-1", Clock().now())
    worker.run_round(bot.settings, Clock().now())
    expect(bot_messages(page).last).to_contain_text("Tama (on-call engineer): Hi Ana, <i>I'm</i> on it")
    expect(votes).to_have_count(1)  # the engineer's words are not the bot's answers to rate
    ask(page, "thank you!")
    expect(page.locator(".mhd-unsent")).to_have_count(0)

    def relayed() -> bool:
        sent = [json.loads(m["payload"]) for m in outbox.pending(db, kinds=["relay_to_engineer"])]
        return {"ref": case.ref, "text": "thank you!"} in sent

    deadline = time.monotonic() + 20
    while not relayed() and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert relayed()  # it went to the engineer's thread, not to the bot
    assert bot_messages(page).last.text_content().endswith("on it")  # and the bot said nothing

    escalations.resolve(db, case.ref, "Tama", Clock().now())
    worker.run_round(bot.settings, Clock().now())
    expect(page.locator(".mhd-from-notice").last).to_contain_text("Tama has left the chat")


def waiting_case(page: Page, bot, slack_bot) -> str:
    """A customer of the web chat with a case nobody has acknowledged yet, whose chain has moved on once."""
    from datetime import timedelta

    from bot.escalation import escalations
    from bot.escalation.oncall import current_rota
    from bot.ops import worker
    from core.clock import Clock

    ask(page, "hello")
    expect(bot_messages(page).last).to_contain_text("helpdesk bot", timeout=ANSWER_TIMEOUT)
    db = open_state_db(bot.settings.state_db)
    now = Clock().now()
    case = escalations.create(db, session_of(page), {"contact_name": "Ana"}, "API down", [], current_rota(db), now).case
    slack_bot.delivery.run_round(now)  # the page reaches Slack
    worker.run_round(bot.settings, now + timedelta(minutes=10))  # nobody acknowledged: the chain moves on
    return case.ref


def test_a_waiting_customer_sees_the_chain_move_on_and_the_case_line_follows_the_case_across_reloads(
    page: Page, web, bot, slack_bot
):
    from bot.escalation import escalations
    from bot.ops import worker
    from core.clock import Clock

    open_chat(page, web.url)
    ref = waiting_case(page, bot, slack_bot)
    # Which update depends on whether the session's other tests left pages failing (then: ring now).
    expect(bot_messages(page).last).to_contain_text(f"Update on {ref}: ")
    case_line = page.locator(".mhd-case")
    expect(case_line).to_contain_text(f"{ref}: waiting for the on-call team. If it can't wait, ring 0800 77 66 22")
    expect(bot_messages(page).last.locator(".mhd-feedback")).to_have_count(0)  # news, not an answer to rate

    page.goto("about:blank")  # the customer is away when the engineer picks the case up...
    db = open_state_db(bot.settings.state_db)
    escalations.acknowledge(db, ref, "Tama", Clock().now())
    worker.run_round(bot.settings, Clock().now())  # ...so the notice reaches no browser
    page.goto(web.url)
    expect(case_line).to_have_text(f"{ref}: Tama from the on-call team is in this chat.")  # the server said so

    escalations.resolve(db, ref, "Tama", Clock().now())
    worker.run_round(bot.settings, Clock().now())
    expect(page.locator(".mhd-from-notice").last).to_contain_text("Tama has left the chat")
    expect(case_line).to_be_hidden()


def test_a_waiting_customer_cancels_from_the_chat(page: Page, web, bot, slack_bot):
    from bot.escalation import escalations

    open_chat(page, web.url)
    ref = waiting_case(page, bot, slack_bot)
    expect(page.locator(".mhd-case")).to_be_visible()
    ask(page, "cancel")
    expect(bot_messages(page).last).to_contain_text(f"OK, I've cancelled {ref} and told the on-call team")
    expect(page.locator(".mhd-case")).to_be_hidden()
    case = escalations.get(open_state_db(bot.settings.state_db), ref)
    assert (case.status, case.resolved_by) == ("resolved", "customer")
