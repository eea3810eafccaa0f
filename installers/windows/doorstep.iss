; Inno Setup script for Doorstep (入户通) on Windows.
;
; Build the one-folder app first (on Windows, in the project folder):
;     .venv\Scripts\python installers\build.py
; then compile this script with Inno Setup 6 (build.py writes the version to
; dist\doorstep-version.iss; /DAppVersion=X.Y.Z on the command line overrides it):
;     "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" installers\windows\doorstep.iss
; The installer lands in dist\doorstep-<version>-windows-x64-setup.exe.
;
; What it installs: dist\doorstep\ into Program Files\Doorstep, a Start-menu shortcut (and an
; optional desktop one) to doorstepw.exe (no console window), and doorstep.exe for the command
; line. The cadre's data is never in Program Files: the app keeps its database, photos and
; backups in %LOCALAPPDATA%\Doorstep (platformdirs' user data folder), which this installer does
; not create, replace or remove, so installing a new version over an old one keeps every
; household, and uninstalling leaves the data for the next installation.

#define AppName "Doorstep"
#define AppExe "doorstepw.exe"
#define CliExe "doorstep.exe"
#define SourceDir "..\..\dist\doorstep"
#ifndef AppVersion
  #include "..\..\dist\doorstep-version.iss"
#endif

[Setup]
; The AppId identifies the product across versions: never change it, or upgrades become
; side-by-side installations.
AppId={{6F0C2A1E-7E4B-4C55-9D2E-5A4D0E8B3C21}
AppName={#AppName}
AppVerName={#AppName} {#AppVersion}
AppVersion={#AppVersion}
AppPublisher=Doorstep
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=doorstep-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\doorstep.ico
UninstallDisplayIcon={app}\{#CliExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running Doorstep before replacing its files (the database is closed cleanly).
CloseApplications=yes
RestartApplications=no
ShowLanguageDialog=auto

[Languages]
; Chinese first: the default for a cadre's laptop. ChineseSimplified.isl ships with Inno Setup 6.3
; and later (older versions: download it from the Inno Setup translations page into Languages\).
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
chinesesimplified.LaunchApp=启动入户通
english.LaunchApp=Start Doorstep
chinesesimplified.AppComment=村干部入户走访与一户一本台账
english.AppComment=Village household surveys and ledgers

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the program folder's contents (old libraries must not linger beside new
; ones). Only {app} is touched: the data in %LOCALAPPDATA%\Doorstep is not.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{cm:LaunchApp}"; Filename: "{app}\{#AppExe}"; Comment: "{cm:AppComment}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{cm:LaunchApp}"; Filename: "{app}\{#AppExe}"; Comment: "{cm:AppComment}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchApp}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Files the app may write beside itself (none are data): Python caches.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
