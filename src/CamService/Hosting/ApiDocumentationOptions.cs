namespace CamService.Hosting;

public sealed class ApiDocumentationOptions
{
    public const string Section = "Api";

    /// <summary>
    /// Serves Swagger UI at /swagger and the OpenAPI document at /swagger/v1/swagger.json. On by default: the
    /// document tells callers and their generated clients how to call the API (the page links to it), and it
    /// describes only endpoints anyone who can reach the service can find, so hiding it protects nothing. Off
    /// leaves out Swagger UI's JavaScript bundle and the document where no one reads them (both answer 404).
    /// </summary>
    public bool Swagger { get; set; } = true;
}
