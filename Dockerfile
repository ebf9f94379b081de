# JobHub: multi-stage build. The build stage publishes framework-dependent for net10.0 (STACK.md); the runtime
# stage is the ASP.NET Core 10.0 runtime image.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props JobHub.sln appsettings.json ./
COPY src/JobHub.Core/JobHub.Core.csproj src/JobHub.Core/
COPY src/JobHub.Web/JobHub.Web.csproj src/JobHub.Web/
RUN dotnet restore src/JobHub.Web/JobHub.Web.csproj
COPY src/ src/
RUN dotnet publish src/JobHub.Web/JobHub.Web.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system jobhub && useradd --system --gid jobhub --home-dir /app jobhub \
    && mkdir -p /data/storage && chown jobhub:jobhub /data/storage
WORKDIR /app
COPY --from=build --chown=jobhub:jobhub /app ./
USER jobhub
ENV ASPNETCORE_URLS=http://+:8080 \
    JobHub__StorageRoot=/data/storage
EXPOSE 8080
VOLUME /data/storage
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fs http://localhost:8080/health/ready || exit 1
ENTRYPOINT ["dotnet", "JobHub.Web.dll"]
