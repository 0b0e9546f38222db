from flask import Blueprint

bp = Blueprint("shopper", __name__)

from audit_app.shopper import views  # noqa: E402,F401
