"""Extensions, created unbound and bound to the app in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits import parse_many
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Photos a shopper may add: generous for a visit (a few receipts and shelves), a wall for a runaway script.
PHOTO_UPLOAD_LIMITS = parse_many("20 per minute;150 per hour")


def allow_photo_upload(user_id: int) -> bool:
    """Count one photo against the person's upload limits; False once they are spent."""
    if not limiter.enabled:
        return True
    return all(limiter.limiter.hit(limit, "photo-uploads", str(user_id)) for limit in PHOTO_UPLOAD_LIMITS)
