"""Sign up, log in, log out and the login wall, in Chromium."""

import re

from playwright.sync_api import expect


def test_sign_up_through_the_form_lands_in_the_lobby_with_the_demo_rooms(
    new_page, server, password
):
    server.manage("load_demo_rooms")
    page = new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Email").fill("newcomer@example.com")
    page.locator("input[name=password1]").fill(password)
    page.locator("input[name=password2]").fill(password)
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Rooms")).to_be_visible()
    expect(page.get_by_role("link", name="General", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Staff lounge"))).to_have_count(0)


def test_log_in_with_the_form_shows_the_lobby(new_page, server, make_user, password):
    server.manage("load_demo_rooms")
    make_user("frank")
    page = new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill("frank")
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="Random", exact=True)).to_be_visible()
    expect(page.locator(".user-name")).to_have_text("frank")


def test_log_out_goes_back_to_the_login_page(new_page, make_user):
    page = new_page(make_user("gina"))
    page.goto("/")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_anonymous_visit_redirects_to_login_with_next(new_page):
    page = new_page()
    page.goto("/features/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/features/$"))
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()


def test_lobby_works_on_a_phone_sized_screen(new_page, server, make_user):
    server.manage("load_demo_rooms")
    page = new_page(make_user("phone"), viewport={"width": 390, "height": 800})
    page.goto("/")
    page.get_by_role("link", name="General", exact=True).click()
    expect(page.get_by_role("article", name="General")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling
