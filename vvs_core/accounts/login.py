"""Login, logout and password reset by e-mail."""

from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPFound, HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import view_config
from sqlalchemy import func, select

from vvs_core.clock import utcnow
from vvs_core.web.timefmt import dates
from vvs_core.web.forms import Schema, email_node, make_form, new_password_node, password_node, posted
from vvs_core.models import User
from vvs_core.web.ratelimit import client_address, limiter
from vvs_core.accounts.sessions import end_all_sessions
from vvs_core.accounts.security import BLOCKED_STATUSES, valid_token, hash_password, issue_token, password_problem, rehash_if_needed, verify_password
from vvs_core.web.links import absolute_url


def includeme(config):
    config.add_route("login", "/connexion")
    config.add_route("logout", "/deconnexion")
    config.add_route("password_forgot", "/mot-de-passe-oublie")
    config.add_route("password_reset", "/mot-de-passe/nouveau/{token}")
    config.scan(".login")


class LoginSchema(Schema):
    email = email_node(existing=True)
    password = password_node("Mot de passe")


def safe_next(request, default: str) -> str:
    target = request.params.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and "\\" not in target:
        return target
    return default


def find_user_by_email(dbsession, email: str) -> User | None:
    return dbsession.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar_one_or_none()


@view_config(route_name="login", renderer="vvs_core:accounts/templates/login.pt", permission="public")
def login_view(request):
    form = make_form(request, LoginSchema(), "Se connecter")
    page = {"title": "Connexion", "forgot_url": request.route_path("password_forgot")}
    if request.user is not None:
        return HTTPFound(safe_next(request, request.route_path("home")))
    data, rendered = posted(request, form)
    if data is None:
        return {**page, "form": rendered}
    email = data["email"].lower()
    # Only failures count, per account and per address; a right password clears the account's.
    by_account = limiter(request, "login-account", "vvs.ratelimit.login")
    by_address = limiter(request, "login-address", "vvs.ratelimit.login_address")
    address = client_address(request)
    by_account.check_blocked(email)
    by_address.check_blocked(address)
    user = find_user_by_email(request.dbsession, email)
    if user is None or user.status == "closed" or not verify_password(user, data["password"]):
        by_account.fail(email)
        by_address.fail(address)
        request.response.status = 400
        return {**page, "form": form.render({"email": email}), "error": "Adresse e-mail ou mot de passe incorrect."}
    by_account.clear(email)
    if user.status == "suspended" and user.suspended_until and user.suspended_until <= utcnow():
        user.status = "active"  # a suspension ends by itself at its date (issue 13.2); the date stays
    if user.status in BLOCKED_STATUSES:
        request.response.status = 403
        until = f" jusqu'au {dates.datetime(user.suspended_until)}" if user.suspended_until else ""
        what = "banni" if user.status == "banned" else "suspendu" + until
        return {**page, "form": form.render({"email": email}), "error": f"Ce compte a été {what} par l'équipe de la "
                "plateforme : écrivez-lui pour en savoir plus ou pour contester."}
    user.last_login_at = utcnow()
    rehash_if_needed(user, data["password"])
    headers = remember(request, user.id)
    landing = request.registry.vvs_plugins.hook.vvs_landing_url(request=request, user=user)
    return HTTPSeeOther(safe_next(request, landing or request.route_path("home")), headers=headers)


@view_config(route_name="logout", request_method="POST", permission="public")
def logout_view(request):
    headers = forget(request)
    request.session.flash("Vous êtes déconnecté.", queue="info")
    return HTTPSeeOther(request.route_path("login"), headers=headers)


class ForgotSchema(Schema):
    email = email_node(existing=True)


@view_config(route_name="password_forgot", renderer="vvs_core:web/templates/form_page.pt", permission="public")
def password_forgot_view(request):
    form = make_form(request, ForgotSchema(), "Recevoir un lien")
    page = {"title": "Mot de passe oublié",
            "intro": "Indiquez l'adresse e-mail de votre compte : nous vous enverrons un lien valable une heure."}
    data, rendered = posted(request, form)
    if data is None:
        return {**page, "form": rendered}
    email = data["email"].lower()
    limiter(request, "reset-account", "vvs.ratelimit.reset").check(email)
    limiter(request, "reset-address", "vvs.ratelimit.reset").check(client_address(request))
    user = find_user_by_email(request.dbsession, email)
    if user is not None and user.status != "closed":
        from vvs_core.notify.outbox import notify_user

        token = issue_token(request.dbsession, user, "password_reset", hours=1)
        link = absolute_url(request, "password_reset", token=token)
        notify_user(request, user, kind="account", title="Réinitialisation de votre mot de passe",
                    body=f"Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure) :\n{link}\n\n"
                         "Si vous n'avez rien demandé, ignorez ce message.",
                    channels=("email",))
    # Same answer whether the account exists or not: no account discovery.
    request.session.flash("Si un compte existe pour cette adresse, un lien vient de lui être envoyé.", queue="success")
    return HTTPSeeOther(request.route_path("login"))


class ResetSchema(Schema):
    password = new_password_node()


@view_config(route_name="password_reset", renderer="vvs_core:web/templates/form_page.pt", permission="public")
def password_reset_view(request):
    form = make_form(request, ResetSchema(), "Enregistrer le mot de passe")
    page = {"title": "Nouveau mot de passe"}
    token = valid_token(request.dbsession, request.matchdict["token"], "password_reset")
    if token is None:
        request.response.status = 400 if request.method == "POST" else 200  # said at once, not after typing
        return {**page, "error": "Ce lien n'est plus valable : il a déjà servi, ou plus d'une heure a passé.",
                "form": f'<p><a href="{request.route_path("password_forgot")}">Recevoir un nouveau lien</a></p>'}
    min_length = request.registry.settings["vvs.password_min_length"]
    data, rendered = posted(request, form, check=lambda data: {"password": password_problem(data.get("password", ""), min_length)})
    if data is None:
        return {**page, "form": rendered}
    token.used_at = utcnow()
    user = request.dbsession.get(User, token.user_id)
    user.password_hash = hash_password(data["password"])
    end_all_sessions(request.dbsession, user)  # every session ends, on the server
    forget(request)
    request.session.flash("Votre mot de passe est changé : connectez-vous.", queue="success")
    return HTTPSeeOther(request.route_path("login"))
