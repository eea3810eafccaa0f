"""What the server's endpoints take and return (these models are the OpenAPI documentation)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    county: str = Field(description="县名")
    signing_key: str = Field(description="县签名公钥（minisign）")
    age_recipient: str = Field(description="县加密公钥（age）")
    top_server_seq: int = Field(description="县里已编号的最大变更序号")


class Problem(BaseModel):
    """Every refusal: a Chinese sentence that says what is wrong and that nothing was applied."""

    detail: str


class EnrollRequest(BaseModel):
    request: dict[str, Any] = Field(description="本机 doorstep enroll request 生成的登记申请")
    enroll_code: str = Field(
        max_length=64,
        description="县里为这位干部签发的登记口令（doorstep-county enroll-code；口令写明可编辑的村）",
    )
    villages: list[str] | None = Field(
        default=None,
        description="可不填：可编辑的村由登记口令决定；填写时必须都在口令写明的村之内",
    )


class Certificate(BaseModel):
    """The signed certificate; install it with ``doorstep enroll accept``."""

    model_config = {"extra": "allow"}
    type: str
    device_id: str
    cadre: str
    villages: list[str]
    signing_key: str
    age_recipient: str
    county_signing_key: str
    county_recipient: str
    issued_at: str


class UploadResult(BaseModel):
    status: Literal["applied", "duplicate", "held"]
    message: str
    changes: int = 0
    photos: int = 0
    conflicts: int = 0
    also_applied: list[str] = Field(
        default_factory=list, description="因本包到达而补上的、之前暂存的数据包"
    )


class ConflictOut(BaseModel):
    id: str
    table: str
    row_id: str
    household_id: str | None
    field: str
    winner_value: Any
    winner_device: str
    winner_cadre: str
    loser_value: Any
    loser_device: str
    loser_cadre: str
    current_value: Any
    resolved: bool


class ResolveRequest(BaseModel):
    value: Any = Field(description="裁定后的取值（任一方的值或新值）")
    cadre: str = Field(default="县里", max_length=40, description="做出裁定的人")


class ResolveResult(BaseModel):
    conflict_id: str
    change_id: str


class DeviceStatus(BaseModel):
    device_id: str
    cadre: str
    villages: list[str]
    revoked: bool
    last_contact: str | None = Field(description="最近一次上传或下载的时间（UTC）")
    cursor: int = Field(description="该设备报告已收到的县变更序号")
    pending: int = Field(description="县里有、该设备还没收到的变更条数")
    held: int = Field(description="因缺少前一个数据包而暂存的数据包个数")
    bundles_applied: int = Field(description="已应用的该设备数据包编号")
